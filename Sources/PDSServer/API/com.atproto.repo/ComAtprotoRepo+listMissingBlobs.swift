import ATCore
import ActorStore
import Hummingbird

extension ComAtprotoRepo {
    /// Output of `com.atproto.repo.listMissingBlobs`.
    struct ListMissingBlobsOutput: ResponseEncodable {
        /// `#recordBlob`.
        struct RecordBlob: Encodable {
            var cid: String
            var recordUri: String
        }
        var blobs: [RecordBlob]
        var cursor: String?
    }

    /// `com.atproto.repo.listMissingBlobs` (STD): blobs the caller's records reference that were never uploaded
    /// (account migration: upload these after `importRepo`). Each CID once, in CID order; the cursor is the last CID
    /// of a full page.
    func listMissingBlobs(_ request: Request) async throws -> ListMissingBlobsOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, oauth: .allowed)
        let parameters = XRPCParameters(request)
        let limit = try parameters.integer("limit", default: 500, range: 1...1000)
        let cursor = try parameters.parse("cursor") { try CID($0) }
        let missing = try await actorStore.read(caller.did) {
            try $0.blob.listMissingBlobs(cursor: cursor, limit: limit)
        }
        return ListMissingBlobsOutput(
            blobs: missing.map { .init(cid: $0.cid.description, recordUri: $0.recordURI.rawValue) },
            cursor: missing.count == limit ? missing.last?.cid.description : nil)
    }
}
