import ArgumentParser
import Foundation
import PDSServer

extension PDSCommand.Account {
    /// `pds account delete ACCOUNT`: `com.atproto.admin.deleteAccount`, after a confirmation.
    struct Delete: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an account and all its data (asks first unless --yes).",
            discussion: """
                Calls com.atproto.admin.deleteAccount. On a terminal it asks for confirmation; otherwise --yes is \
                required. With --json: {did, handle, deleted: true}.
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's DID or handle.")
        var account: String

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
        var yes = false

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let found = try await context.account(account)
            let name = "\(found.view.handle) (\(found.view.did))"
            if !yes {
                guard isatty(STDIN_FILENO) != 0 else {
                    throw .usage("refusing to delete \(name) without --yes (stdin is not a terminal)")
                }
                Stderr.write("Delete \(name) and all its data? This cannot be undone. [y/N] ")
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                    throw .other("not deleted")
                }
            }
            try await context.client.procedure(
                "com.atproto.admin.deleteAccount", .object(["did": .string(found.view.did)]))
            context.emit(
                table: "Deleted \(name).\n",
                json: .object([
                    "did": .string(found.view.did), "handle": .string(found.view.handle), "deleted": .bool(true),
                ]))
        }
    }
}
