import ActorStore
import ATCore
import ATRepo
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Lexicon
import Logging
import Sequencer
import ServiceDB

extension ComAtprotoRepo {
    /// `com.atproto.repo.deleteRecord` (STD): deleting an absent record is a no-op (`commit` omitted), as in the
    /// reference, whatever `swapRecord` says.
    func deleteRecord(_ request: Request, logger: Logger) async throws -> LexJSONResponse {
        let input = try RepoInput(try await XRPCBody.lexValue(request, limit: XRPCBody.defaultJSONLimit))
        let repo = try input.requireString("repo")
        let collection = try input.parse("collection", required: true) { try NSID($0) }!
        let rkey = try input.parse("rkey", required: true) { try RecordKey($0) }!
        let swapCommit = try input.parse("swapCommit") { try CID($0) }
        let swapRecord = try input.parse("swapRecord") { try CID($0) }
        let did = try await authorizeWrite(request, repo: repo)

        let uri = ATURI(did: did, collection: collection, rkey: rkey)
        let (_, commit) = try await self.commit(did: did, swapCommit: swapCommit, records: [], logger: logger) { txn in
            guard try txn.recordReader.currentRecordCID(uri: uri) != nil else { return ([], ()) }
            return ([.delete(collection, rkey, swapRecord: swapRecord.map { RepoWrite.Swap.cid($0) })], ())
        }
        var output: [String: LexValue] = [:]
        if let commit { output["commit"] = Self.commitMeta(commit) }
        return LexJSONResponse(value: .map(output))
    }
}
