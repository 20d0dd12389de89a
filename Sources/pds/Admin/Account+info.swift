import ArgumentParser
import PDSServer

extension PDSCommand.Account {
    /// `pds account info ACCOUNT`: one account in detail.
    struct Info: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one account: identity, email, status, invites.",
            discussion: """
                With --json: the com.atproto.admin.defs#accountView, with "status" (active, takendown, \
                deactivated) and, when taken down, "takedownRef".
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "The account's DID or handle.")
        var account: String

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let found = try await context.account(account)
            let (status, takedownRef) = try await context.status(of: found.view.did)
            let view = found.view
            let invites = view.invites ?? []
            var fields: [(String, String)] = [
                ("DID", view.did), ("Handle", view.handle), ("Email", view.email ?? ""),
                ("Email confirmed", view.emailConfirmedAt.map(shortDate) ?? "no"), ("Status", status),
            ]
            if let takedownRef { fields.append(("Takedown ref", takedownRef)) }
            if let deactivated = view.deactivatedAt { fields.append(("Deactivated", shortDate(deactivated))) }
            fields += [
                ("Created", shortDate(view.indexedAt)),
                ("Invited with", view.invitedBy?.code ?? ""),
                ("Invites disabled", view.invitesDisabled == true ? "yes" : "no"),
                ("Invite codes", "\(invites.count) (\(invites.filter(\.isUsable).count) usable)"),
            ]
            var extra: [String: JSONValue] = ["status": .string(status)]
            if let takedownRef { extra["takedownRef"] = .string(takedownRef) }
            context.emit(table: TableWriter.record(fields), json: found.json.merging(extra))
        }
    }
}
