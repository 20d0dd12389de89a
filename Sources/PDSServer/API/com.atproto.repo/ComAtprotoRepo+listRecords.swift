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
    /// `com.atproto.repo.listRecords` (public): newest record key first (oldest with `reverse`), the cursor being
    /// the last record's key; taken-down records are left out.
    func listRecords(_ request: Request) async throws -> LexJSONResponse {
        let params = XRPCParameters(request)
        let repo = try params.require("repo")
        let collection = try params.parseRequired("collection") { try NSID($0) }
        let limit = try params.integer("limit", default: 50, range: 1...100)
        let reverse = try params.boolean("reverse") ?? false
        let cursor = params.string("cursor")
        let rkeyStart = params.string("rkeyStart")
        let rkeyEnd = params.string("rkeyEnd")
        guard let account = try await findAccount(repo), account.status == .active else {
            throw XRPCError.invalidRequest("Could not find repo: \(repo)")
        }
        let records = try await actorStore.read(account.did) { store in
            try store.record.listRecords(
                collection: collection.rawValue, limit: limit, reverse: reverse, cursor: cursor, rkeyStart: rkeyStart,
                rkeyEnd: rkeyEnd)
        }
        var output: [String: LexValue] = [
            "records": .array(
                records.map {
                    .map(["uri": .string($0.uri.rawValue), "cid": .string($0.cid.description), "value": $0.value])
                })
        ]
        if let last = records.last?.uri.recordKey { output["cursor"] = .string(last.rawValue) }
        return LexJSONResponse(value: .map(output))
    }
}
