import ArgumentParser
import PDSServer

extension PDSCommand.Account {
    /// `pds account reset-password ACCOUNT`: as pdsadmin, a new random password set with
    /// `com.atproto.admin.updateAccountPassword`, printed once.
    struct ResetPassword: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Give an account a new random password (its sessions end) and print it.",
            discussion: """
                Calls com.atproto.admin.updateAccountPassword with a random 24-character password (or \
                --password); every session of the account is revoked; app passwords are kept. With --json: \
                {did, handle, password}.
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's DID or handle.")
        var account: String

        @Option(help: "The new password (default: generated).")
        var password: String?

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let found = try await context.account(account)
            let password = password ?? PasswordGenerator.generate()
            try await context.client.procedure(
                "com.atproto.admin.updateAccountPassword",
                .object(["did": .string(found.view.did), "password": .string(password)]))
            context.emit(
                table: TableWriter.record([
                    ("Handle", found.view.handle), ("DID", found.view.did), ("Password", password),
                ]) + "Save this password: it will not be shown again.\n",
                json: .object([
                    "did": .string(found.view.did), "handle": .string(found.view.handle),
                    "password": .string(password),
                ]))
        }
    }
}
