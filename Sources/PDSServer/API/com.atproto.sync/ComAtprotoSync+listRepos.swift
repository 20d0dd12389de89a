import ATCore
import Foundation
import Hummingbird
import ServiceDB

extension ComAtprotoSync {
    /// One repo in `com.atproto.sync.listRepos`.
    struct ListedRepo: Codable, Sendable {
        var did: String
        var head: String
        var rev: String
        var active: Bool
        var status: String?
    }

    /// Output of `com.atproto.sync.listRepos`.
    struct ListReposOutput: ResponseEncodable {
        var repos: [ListedRepo]
        var cursor: String?
    }

    /// `com.atproto.sync.listRepos`: every hosted repo in creation order, with its head and status.
    ///
    /// The cursor is the reference's `<createdAt in ms>::<did>`. Accounts without a repo root are skipped.
    func listRepos(_ request: Request) async throws -> ListReposOutput {
        let parameters = XRPCParameters(request)
        let limit = try parameters.integer("limit", default: 500, range: 1...1000)
        let cursor = try parameters.string("cursor").map(Self.parseListReposCursor)
        let rows = try await serviceDB.listAccounts(after: cursor, limit: limit)
        let repos = rows.compactMap { row -> ListedRepo? in
            guard let head = row.head, let rev = row.rev else { return nil }
            let status = row.account.status
            return ListedRepo(
                did: row.account.did.rawValue, head: head, rev: rev, active: status == .active,
                status: status == .active ? nil : status.rawValue)
        }
        var next: String?
        if rows.count == limit, let last = rows.last {
            next = "\(Self.milliseconds(last.account.createdAt))::\(last.account.did.rawValue)"
        }
        return ListReposOutput(repos: repos, cursor: next)
    }

    /// The `(createdAt, did)` position of a `<ms>::<did>` cursor.
    /// - Throws: 400 `InvalidRequest` for a malformed cursor.
    static func parseListReposCursor(_ cursor: String) throws -> (createdAt: String, did: String) {
        let parts = cursor.components(separatedBy: "::")
        guard parts.count == 2, let ms = Int64(parts[0]), !parts[1].isEmpty else {
            throw XRPCError.invalidRequest("Malformed cursor")
        }
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        return (Datetime(date).rawValue, parts[1])
    }

    /// Milliseconds since 1970 of a stored timestamp (0 when it does not parse).
    static func milliseconds(_ timestamp: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: timestamp) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: timestamp) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        return 0
    }
}
