import ArgumentParser

extension PDSCommand.Account {
    /// `pds account list`: every account, complete (paged through `com.atproto.sync.listRepos`, described by
    /// `com.atproto.admin.getAccountInfos`), unlike pdsadmin's first 100.
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every account: handle, email, DID, status and creation time.",
            discussion: """
                Pages through com.atproto.sync.listRepos, so the list is complete however many accounts there \
                are, in creation order. With --json: an array of com.atproto.admin.defs#accountView objects, each \
                with a "status" (active, takendown, deactivated).
                """
        )

        @OptionGroup var options: AdminOptions

        /// Repos per `listRepos` page.
        static let pageSize = 500
        /// DIDs per `getAccountInfos` call (keeps the URL short).
        static let infosBatch = 100

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let client = context.client
            let progress = ProgressLine(label: "Listing accounts")
            var repos: [AdminModels.ListRepos.Repo] = []
            var cursor: String?
            repeat {
                var parameters = [("limit", String(Self.pageSize))]
                if let cursor { parameters.append(("cursor", cursor)) }
                let method = "com.atproto.sync.listRepos"
                let page = try client.decode(
                    AdminModels.ListRepos.self, from: try await client.query(method, parameters, admin: false),
                    method: method)
                repos += page.repos
                progress.update(repos.count)
                cursor = page.repos.isEmpty ? nil : page.cursor
            } while cursor != nil

            var views: [String: JSONValue] = [:]
            for start in stride(from: 0, to: repos.count, by: Self.infosBatch) {
                let batch = repos[start..<min(start + Self.infosBatch, repos.count)]
                let output = try await client.query(
                    "com.atproto.admin.getAccountInfos", batch.map { ("dids", $0.did) })
                guard case .array(let infos)? = output["infos"] else {
                    throw .badResponse(
                        url: client.baseURL, method: "com.atproto.admin.getAccountInfos", detail: "no infos")
                }
                for info in infos { if let did = info["did"]?.string { views[did] = info } }
            }
            progress.finish()

            var table = TableWriter(columns: ["handle", "email", "did", "status", "created"])
            var json: [JSONValue] = []
            for repo in repos {
                // An account deleted between the two calls has no view.
                guard let view = views[repo.did] else { continue }
                let status = repo.status ?? (repo.active == false ? "inactive" : "active")
                table.append([
                    view["handle"]?.string ?? "", view["email"]?.string ?? "", repo.did, status,
                    shortDate(view["indexedAt"]?.string),
                ])
                json.append(view.merging(["status": .string(status)]))
            }
            context.emit(table: table.render(), json: .array(json))
        }
    }
}
