import ActorStore
import ATCore
import ATRepo
import Hummingbird
import Logging

extension ComAtprotoRepo {
    /// `com.atproto.repo.createRecord` (STD). Unless `validate` is `false`, existing records making the same
    /// backlinks (a second like of a post, a second follow of a DID) are deleted in the same commit.
    func createRecord(_ request: Request, rateLimit: RateLimitScope?, logger: Logger) async throws -> LexJSONResponse {
        let input = try RepoInput(try await XRPCBody.lexValue(request, limit: XRPCBody.writeJSONLimit))
        let repo = try input.requireString("repo")
        let collection = try input.required("collection") { try NSID($0) }
        let rkey = try input.parse("rkey") { try RecordKey($0) }
        let validate = try input.bool("validate")
        let record = try input.record()
        let swapCommit = try input.parse("swapCommit") { try CID($0) }
        let did = try await writer.authorize(request, repo: repo, writes: [(collection.description, .create)])
        try rateLimit?.consume(subject: did.rawValue, points: RateLimits.WritePoints.create)

        let prepared = try writer.prepareRecord(
            action: .create, did: did, collection: collection, rkey: rkey, record: record, validate: validate,
            swapRecord: nil)
        let (_, commit) = try await writer.commit(
            did: did, swapCommit: swapCommit, records: [prepared.write.record].compactMap { $0 }, logger: logger
        ) { txn in
            var writes: [RepoWrite] = []
            if validate != false, let value = prepared.write.record {
                for uri in try txn.recordReader.backlinkConflicts(uri: prepared.uri, record: value) {
                    guard let collection = uri.collection, let rkey = uri.recordKey else { continue }
                    writes.append(.delete(collection, rkey))
                }
            }
            writes.append(prepared.write)
            return (writes, ())
        }
        var output: [String: LexValue] = [
            "uri": .string(prepared.uri.rawValue), "cid": .string(prepared.cid?.description ?? ""),
        ]
        if let commit { output["commit"] = RepoWriter.commitMeta(commit) }
        if let status = prepared.validationStatus { output["validationStatus"] = .string(status) }
        return LexJSONResponse(value: .map(output))
    }
}
