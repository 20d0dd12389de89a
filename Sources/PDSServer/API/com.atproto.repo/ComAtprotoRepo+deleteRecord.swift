import ActorStore
import ATCore
import ATRepo
import Hummingbird
import Logging

extension ComAtprotoRepo {
    /// `com.atproto.repo.deleteRecord` (STD): deleting an absent record is a no-op (`commit` omitted), as in the
    /// reference, whatever `swapRecord` says.
    func deleteRecord(_ request: Request, rateLimit: RateLimitScope?, logger: Logger) async throws -> LexJSONResponse {
        let input = try RepoInput(try await XRPCBody.lexValue(request, limit: XRPCBody.defaultJSONLimit))
        let repo = try input.requireString("repo")
        let collection = try input.required("collection") { try NSID($0) }
        let rkey = try input.required("rkey") { try RecordKey($0) }
        let swapCommit = try input.parse("swapCommit") { try CID($0) }
        let swapRecord = try input.parse("swapRecord") { try CID($0) }
        let did = try await writer.authorize(request, repo: repo, writes: [(collection.description, .delete)])
        try rateLimit?.consume(subject: did.rawValue, points: RateLimits.WritePoints.delete)

        let prepared = writer.prepareDelete(
            did: did, collection: collection, rkey: rkey, swapRecord: swapRecord.map { RepoWrite.Swap.cid($0) })
        let (_, commit) = try await writer.commit(did: did, swapCommit: swapCommit, records: [], logger: logger) {
            txn in
            guard try txn.recordReader.currentRecordCID(uri: prepared.uri) != nil else { return ([], ()) }
            return ([prepared.write], ())
        }
        var output: [String: LexValue] = [:]
        if let commit { output["commit"] = RepoWriter.commitMeta(commit) }
        return LexJSONResponse(value: .map(output))
    }
}
