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
    /// `com.atproto.repo.getRecord` (public). Only repos hosted here and active are served (the reference proxies
    /// others to the AppView; this server does not proxy yet); a taken-down record is `RecordNotFound`.
    func getRecord(_ request: Request) async throws -> LexJSONResponse {
        let params = XRPCParameters(request)
        let repo = try params.require("repo")
        let collection = try params.parseRequired("collection") { try NSID($0) }
        let rkey = try params.parseRequired("rkey") { try RecordKey($0) }
        let cid = try params.parse("cid") { try CID($0) }
        guard let account = try await findAccount(repo), account.status == .active else {
            throw XRPCError.invalidRequest(
                "Could not locate record: at://\(repo)/\(collection.rawValue)/\(rkey.rawValue)", name: XRPCErrorName.recordNotFound)
        }
        let uri = ATURI(did: account.did, collection: collection, rkey: rkey)
        let record = try await actorStore.read(account.did) { store in
            try store.record.getRecord(uri: uri, cid: cid)
        }
        guard let record else {
            throw XRPCError.invalidRequest("Could not locate record: \(uri.rawValue)", name: XRPCErrorName.recordNotFound)
        }
        return LexJSONResponse(
            value: .map([
                "uri": .string(record.uri.rawValue), "cid": .string(record.cid.description), "value": record.value,
            ]))
    }
}
