import ArgumentParser
import Foundation
import PDSServer

extension PDSCommand.Account {
    /// `pds account migrate`: moves an account from its PDS to this one (or, with `--to-url`, from anywhere to
    /// anywhere, this PDS included) as the account's own client, with ``AccountMigration``.
    struct Migrate: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move an account from another PDS to this one (or from this one to another, with --to-url).",
            discussion: """
                Acts as the account's own client, with its password, as the reference's ACCOUNT_MIGRATION.md \
                describes: the account is created on the new PDS with its DID (deactivated), then phase by phase \
                the repository (getRepo → importRepo), the blobs (listMissingBlobs → getBlob → uploadBlob), the \
                preferences, and the identity: the old PDS emails a PLC token (give it with --plc-token, or type \
                it when asked; it is read from stdin), signs the PLC operation with it, and the new PDS submits \
                it. Then the new account is activated and verified (its repo verifies with the DID's key and holds \
                every record of the old one with the same CIDs; every blob is there), and only then is the old \
                account deactivated. Nothing is deactivated if any step fails.

                Interrupted? Run the same command again: it logs into the account already created on the new PDS \
                (with --new-password, or the old password), keeps a repo already imported, copies only the blobs \
                still missing, and skips the identity step once the DID document points at the new PDS (then \
                --from-url must name the old PDS, as the handle no longer leads there).

                The old PDS is found from the handle (DNS or HTTPS, then the DID document) unless --from-url is \
                given. The new PDS is this one (--url, default http://localhost:$PDS_PORT) unless --to-url is \
                given; on this one, an invite code is created with the admin password when needed. DID documents \
                are read from PDS_DID_PLC_URL. Progress is shown on stderr (a line per finished phase, and a bar \
                on a terminal); with --json the summary is JSON on stdout.
                """
        )

        @OptionGroup var options: AdminOptions

        @Option(help: ArgumentHelp("The account's handle (or DID) on its current PDS.", valueName: "handle"))
        var fromHandle: String

        @Option(help: ArgumentHelp("Its password there (default: asked on the terminal).", valueName: "password"))
        var fromPassword: String?

        @Option(help: ArgumentHelp("The current PDS's URL (default: found from the handle).", valueName: "url"))
        var fromURL: String?

        @Option(help: ArgumentHelp("The new PDS's URL (default: this PDS, at --url).", valueName: "url"))
        var toURL: String?

        @Option(help: ArgumentHelp("The handle on the new PDS (default: the current handle).", valueName: "handle"))
        var newHandle: String?

        @Option(help: ArgumentHelp("The email on the new PDS (default: the current one).", valueName: "email"))
        var newEmail: String?

        @Option(
            help: ArgumentHelp("The password on the new PDS (default: the current password).", valueName: "password"))
        var newPassword: String?

        @Option(help: ArgumentHelp("An invite code of the new PDS, if it requires one.", valueName: "code"))
        var inviteCode: String?

        @Option(
            name: .customLong("plc-token"),
            help: ArgumentHelp(
                "The token the old PDS emailed for the PLC operation (default: requested, then read from stdin).",
                valueName: "token"))
        var plcToken: String?

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            for (name, url) in [("--from-url", fromURL), ("--to-url", toURL)] {
                guard let url else { continue }
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""),
                    parsed.host != nil
                else { throw .usage("\(name) must be an http(s) URL, got '\(url)'") }
            }
            var password = fromPassword ?? ""
            if fromPassword == nil { password = try Self.askPassword(for: fromHandle) }
            let configuration = context.configuration
            let plan = AccountMigration.Plan(
                handle: fromHandle.lowercased(), password: password, sourceURL: fromURL,
                targetURL: toURL ?? context.client.baseURL, newHandle: newHandle?.lowercased(), newEmail: newEmail,
                newPassword: newPassword, inviteCode: inviteCode, plcToken: plcToken,
                plcURL: configuration.identity.plcURL ?? configuration.service.publicURL + "/plc")
            let admin = context.client
            // On this PDS, an invite code can be made with the admin password.
            let makeInviteCode: () async throws(AdminFailure) -> String = { () async throws(AdminFailure) in
                let invite = try await admin.procedure(
                    "com.atproto.server.createInviteCode", .object(["useCount": .int(1)]))
                guard let code = invite["code"]?.string else {
                    throw .badResponse(
                        url: admin.baseURL, method: "com.atproto.server.createInviteCode", detail: "no code")
                }
                return code
            }
            let migration = AccountMigration(
                plan: plan, http: admin.http, console: MigrationConsole(),
                makeInviteCode: toURL == nil ? makeInviteCode : nil, readPLCToken: Self.readPLCToken)
            let report = try await migration.run()
            context.emit(table: report.table, json: report.json)
        }

        /// The password, asked on the terminal without echo.
        private static func askPassword(for handle: String) throws(AdminFailure) -> String {
            guard isatty(STDIN_FILENO) != 0, let typed = getpass("Password of \(handle): ") else {
                throw .usage("pass --from-password (no terminal to ask on)")
            }
            let password = String(cString: typed)
            guard !password.isEmpty else { throw .usage("no password given") }
            return password
        }

        /// The PLC token, read as one line of stdin after a prompt on stderr.
        private static func readPLCToken(_ email: String?) async throws(AdminFailure) -> String {
            Stderr.write("PLC token (from the email to \(email ?? "the account's address")): ")
            let token = readLine()?.trimmingCharacters(in: .whitespaces) ?? ""
            // Typed on a terminal, the newline was echoed; read from a pipe, end the prompt's line here.
            if isatty(STDIN_FILENO) == 0 { Stderr.write("\n") }
            guard !token.isEmpty else {
                throw .usage("no PLC token: pass --plc-token with the token the old PDS emailed")
            }
            return token
        }
    }
}
