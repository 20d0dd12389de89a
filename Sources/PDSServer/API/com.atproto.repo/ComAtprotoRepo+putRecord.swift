import ActorStore
import ATCore
import ATRepo
import Hummingbird
import Logging

extension ComAtprotoRepo {
    /// `com.atproto.repo.putRecord` (STD): creates or updates depending on whether the record exists; writing the
    /// same CID again is a no-op (no commit, no event, `commit` omitted).
    func putRecord(_ request: Request, rateLimit: RateLimitScope?, logger: Logger) async throws -> LexJSONResponse {
        let input = try RepoInput(try await XRPCBody.lexValue(request, limit: XRPCBody.writeJSONLimit))
        let repo = try input.requireString("repo")
        let collection = try input.required("collection") { try NSID($0) }
        let rkey = try input.required("rkey") { try RecordKey($0) }
        let validate = try input.bool("validate")
        let record = try input.record()
        let swapCommit = try input.parse("swapCommit") { try CID($0) }
        let swapRecord = try input.swap("swapRecord")
        let did = try await writer.authorize(
            request, repo: repo, writes: [(collection.description, .create), (collection.description, .update)])
        try rateLimit?.consume(subject: did.rawValue, points: RateLimits.WritePoints.update)

        // Validated before the transaction; the action (and so the swap's meaning) is settled inside it.
        let prepared = try writer.prepareRecord(
            action: .update, did: did, collection: collection, rkey: rkey, record: record, validate: validate,
            swapRecord: swapRecord)
        let (_, commit) = try await writer.commit(
            did: did, swapCommit: swapCommit, records: [prepared.write.record].compactMap { $0 }, logger: logger
        ) { txn in
            let current = try txn.recordReader.currentRecordCID(uri: prepared.uri)
            var write = prepared.write
            if let current {
                if current == prepared.cid { return ([], ()) }
            } else {
                write.action = .create
            }
            return ([write], ())
        }
        var output: [String: LexValue] = [
            "uri": .string(prepared.uri.rawValue), "cid": .string(prepared.cid?.description ?? ""),
        ]
        if let commit { output["commit"] = RepoWriter.commitMeta(commit) }
        if let status = prepared.validationStatus { output["validationStatus"] = .string(status) }
        return LexJSONResponse(value: .map(output))
    }
}
