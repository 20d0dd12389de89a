import ArgumentParser
import PDSServer

extension PDSCommand.Invite {
    /// `pds invite list`: every invite code, paged through `com.atproto.admin.getInviteCodes`.
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every invite code with its uses.",
            discussion: """
                Pages through com.atproto.admin.getInviteCodes (newest first, or most used first with \
                --sort usage), so the list is complete. With --json: an array of com.atproto.server.defs#inviteCode.
                """
        )

        /// The sort orders of `getInviteCodes`.
        enum Sort: String, ExpressibleByArgument, CaseIterable {
            case recent, usage
        }

        @OptionGroup var options: AdminOptions

        @Option(help: "recent (newest first) or usage (most used first).")
        var sort: Sort = .recent

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let client = context.client
            let method = "com.atproto.admin.getInviteCodes"
            let progress = ProgressLine(label: "Listing invite codes")
            var codes: [JSONValue] = []
            var cursor: String?
            repeat {
                var parameters = [("sort", sort.rawValue), ("limit", "500")]
                if let cursor { parameters.append(("cursor", cursor)) }
                let output = try await client.query(method, parameters)
                guard case .array(let page)? = output["codes"] else {
                    throw .badResponse(url: client.baseURL, method: method, detail: "no codes")
                }
                codes += page
                progress.update(codes.count)
                cursor = page.isEmpty ? nil : output["cursor"]?.string
            } while cursor != nil
            progress.finish()

            var table = TableWriter(columns: ["code", "used", "status", "for", "created"])
            for value in codes {
                let code = try client.decode(AdminModels.InviteCode.self, from: value, method: method)
                let status = code.disabled ? "disabled" : code.uses.count >= code.available ? "used up" : "usable"
                table.append([
                    code.code, "\(code.uses.count)/\(code.available)", status, code.forAccount,
                    shortDate(code.createdAt),
                ])
            }
            context.emit(table: table.render(), json: .array(codes))
        }
    }
}
