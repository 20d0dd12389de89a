import ArgumentParser
import PDSServer

extension PDSCommand.Account {
    /// `pds account create EMAIL HANDLE`: as pdsadmin, a one-use invite code (when the server requires one), then the
    /// account, then its password.
    struct Create: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account (and a one-use invite code if needed); print its DID and password.",
            discussion: """
                As pdsadmin: creates a one-use invite code with the admin password (when the server requires \
                invite codes), then calls com.atproto.server.createAccount with it. A handle without a dot gets the first \
                PDS_SERVICE_HANDLE_DOMAINS domain (alice → alice.<hostname>). Without --password a random \
                24-character password is generated; it is printed once. With --json: {did, handle, email, \
                password}.
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's email address.")
        var email: String

        @Argument(help: "The handle, e.g. alice.example.com, or just alice for alice.<service domain>.")
        var handle: String

        @Option(help: "The password (default: generated).")
        var password: String?

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let client = context.client
            var handle = handle.lowercased()
            if !handle.contains("."), let domain = context.configuration.identity.serviceHandleDomains.first {
                handle += domain
            }
            let password = password ?? PasswordGenerator.generate()
            var input: [String: JSONValue] = [
                "email": .string(email), "handle": .string(handle), "password": .string(password),
            ]
            // An invite code only where one is needed, so none is left unused.
            let server = try await client.query("com.atproto.server.describeServer", admin: false)
            if server["inviteCodeRequired"] != .bool(false) {
                let invite = try await client.procedure(
                    "com.atproto.server.createInviteCode", .object(["useCount": .int(1)]))
                guard let code = invite["code"]?.string else {
                    throw .badResponse(
                        url: client.baseURL, method: "com.atproto.server.createInviteCode", detail: "no code")
                }
                input["inviteCode"] = .string(code)
            }
            let created = try await client.procedure("com.atproto.server.createAccount", .object(input), admin: false)
            guard let did = created["did"]?.string, let finalHandle = created["handle"]?.string else {
                throw .badResponse(url: client.baseURL, method: "com.atproto.server.createAccount", detail: "no did")
            }
            let table =
                TableWriter.record([("Handle", finalHandle), ("DID", did), ("Email", email), ("Password", password)])
                + "Save this password: it will not be shown again.\n"
            context.emit(
                table: table,
                json: .object([
                    "did": .string(did), "handle": .string(finalHandle), "email": .string(email),
                    "password": .string(password),
                ]))
        }
    }
}
