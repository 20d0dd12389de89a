import ATCore
import Foundation
import Hummingbird

/// The replica's own endpoints, beside the directory's read API:
/// `GET /_replica/status` (cursor, lag, ops/s, accepted and rejected counts) and
/// `GET /_replica/rejected?after=&limit=` (the refused upstream operations with their reasons).
package enum PLCReplicaRoutes {
    /// Registers the routes.
    /// - Parameters:
    ///   - router: where to add them.
    ///   - progress: the replicator's live progress.
    ///   - store: the op store holding the rejections.
    package static func add<Context: RequestContext>(
        to router: some RouterMethods<Context>, progress: PLCReplicaProgress, store: PLCOperationStore
    ) {
        router.get("_replica/status") { _, _ in JSONValueResponse.make(progress.status.jsonValue) }
        router.get("_replica/rejected") { request, _ in
            let parameters = request.uri.queryParameters
            let after = try parameters.get("after").map { raw -> Int64 in
                guard let value = Int64(raw) else {
                    throw PLCHTTPError(status: .badRequest, message: "Invalid after parameter")
                }
                return value
            } ?? -1
            let limit = try parameters.get("limit").map { raw -> Int in
                guard let value = Int(raw), value >= 1 else {
                    throw PLCHTTPError(status: .badRequest, message: "Invalid limit parameter")
                }
                return min(value, 1000)
            } ?? 1000
            let rejected = try await store.rejectedOperations(after: after, limit: limit)
            return JSONValueResponse.make(.object(["rejected": .array(rejected.map(\.jsonValue))]))
        }
    }
}
