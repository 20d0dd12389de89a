import ATCore
import ActorStore
import Hummingbird

extension ComAtprotoSync {
    /// Output of `com.atproto.sync.listBlobs`.
    struct ListBlobsOutput: ResponseEncodable {
        var cids: [String]
        var cursor: String?
    }

    /// `com.atproto.sync.listBlobs`: the CIDs of blobs referenced by the repo's records, optionally only those of
    /// records written after revision `since`.
    func listBlobs(_ request: Request) async throws -> ListBlobsOutput {
        let parameters = XRPCParameters(request)
        let did = try didParameter(parameters)
        let since = try parameters.parse("since") { try TID($0) }
        let cursor = try parameters.parse("cursor") { try CID($0) }
        let limit = try parameters.integer("limit", default: 500, range: 1...1000)
        _ = try await availableAccount(did, request: request)
        let cids = try await read(did) {
            try $0.blob.listBlobs(since: since, cursor: cursor, limit: limit)
        }
        return ListBlobsOutput(
            cids: cids.map(\.description), cursor: cids.count == limit ? cids.last?.description : nil)
    }
}
