import ArgumentParser
import PDSServer

extension PDSCommand.Account {
    /// `pds account set-email ACCOUNT EMAIL`: `com.atproto.admin.updateAccountEmail`.
    struct SetEmail: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-email",
            abstract: "Change an account's email address (it becomes unconfirmed).",
            discussion: "Calls com.atproto.admin.updateAccountEmail. With --json: {did, handle, email}."
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's DID or handle.")
        var account: String

        @Argument(help: "The new email address.")
        var email: String

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let found = try await context.account(account)
            try await context.client.procedure(
                "com.atproto.admin.updateAccountEmail",
                .object(["account": .string(found.view.did), "email": .string(email)]))
            let updated = try await context.account(found.view.did)
            let email = updated.view.email ?? ""
            context.emit(
                table: TableWriter.record([
                    ("Handle", updated.view.handle), ("DID", updated.view.did), ("Email", email),
                ]),
                json: .object([
                    "did": .string(updated.view.did), "handle": .string(updated.view.handle), "email": .string(email),
                ]))
        }
    }
}
