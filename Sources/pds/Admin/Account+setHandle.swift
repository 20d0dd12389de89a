import ArgumentParser
import PDSServer

extension PDSCommand.Account {
    /// `pds account set-handle ACCOUNT HANDLE`: `com.atproto.admin.updateAccountHandle`.
    struct SetHandle: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-handle",
            abstract: "Change an account's handle (reserved names allowed).",
            discussion: """
                Calls com.atproto.admin.updateAccountHandle: the DID document is updated (did:plc), the \
                firehose carries an #identity event. A handle outside the service domains must already resolve \
                to the account's DID. With --json: {did, handle}.
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's DID or current handle.")
        var account: String

        @Argument(help: "The new handle.")
        var handle: String

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let found = try await context.account(account)
            try await context.client.procedure(
                "com.atproto.admin.updateAccountHandle",
                .object(["did": .string(found.view.did), "handle": .string(handle)]))
            let updated = try await context.account(found.view.did)
            context.emit(
                table: TableWriter.record([("DID", updated.view.did), ("Handle", updated.view.handle)]),
                json: .object(["did": .string(updated.view.did), "handle": .string(updated.view.handle)]))
        }
    }
}
