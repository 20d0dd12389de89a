import ArgumentParser
import Foundation
import PDSServer

extension PDSCommand.Account {
    /// `pds account takedown ACCOUNT`: as pdsadmin, `com.atproto.admin.updateSubjectStatus` with a takedown.
    struct Takedown: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take an account down: its sessions end, logins, reads and sync are refused.",
            discussion: """
                Calls com.atproto.admin.updateSubjectStatus on the account (a #repoRef) with takedown applied; \
                the reference is --ref or, as pdsadmin, the current Unix time. The firehose carries an #account \
                event. With --json: the method's output.
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's DID or handle.")
        var account: String

        @Option(help: "The takedown reference to record (default: the current Unix time).")
        var ref: String?

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let reference = ref ?? String(Int(Date().timeIntervalSince1970))
            try await setTakedown(
                context, account: account, takedown: .object(["applied": .bool(true), "ref": .string(reference)]))
        }
    }

    /// `pds account untakedown ACCOUNT`: reverses a takedown.
    struct Untakedown: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reverse an account's takedown.",
            discussion: """
                Calls com.atproto.admin.updateSubjectStatus with takedown not applied; the firehose carries an \
                #account event. With --json: the method's output.
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's DID or handle.")
        var account: String

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            try await setTakedown(context, account: account, takedown: .object(["applied": .bool(false)]))
        }
    }
}

/// Applies or reverses an account takedown and prints the result.
private func setTakedown(_ context: AdminContext, account: String, takedown: JSONValue) async throws(AdminFailure) {
    let found = try await context.account(account)
    let output = try await context.client.procedure(
        "com.atproto.admin.updateSubjectStatus",
        .object([
            "subject": .object(["$type": .string("com.atproto.admin.defs#repoRef"), "did": .string(found.view.did)]),
            "takedown": takedown,
        ]))
    let (status, takedownRef) = try await context.status(of: found.view.did)
    var fields = [("Handle", found.view.handle), ("DID", found.view.did), ("Status", status)]
    if let takedownRef { fields.append(("Takedown ref", takedownRef)) }
    context.emit(table: TableWriter.record(fields), json: output)
}
