import ATCore
import ActorStore
import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// `com.atproto.admin.getSubjectStatus` (moderator: admin Basic or a mod-service JWT): the takedown status of a
    /// blob (`blob` and `did`), a record (`uri`) or an account (`did`, with its deactivation), in that order of
    /// precedence as in the reference.
    /// - Throws: 400 `InvalidRequest` without a subject or for a blob without `did`; 400 `NotFound` for a subject
    ///   that does not exist.
    func getSubjectStatus(_ request: Request) async throws -> LexJSONResponse {
        try await auth.moderator(request, lxm: "com.atproto.admin.getSubjectStatus")
        let parameters = XRPCParameters(request)
        let did = try parameters.parse("did") { try DID($0) }
        let uri = try parameters.parse("uri") { try ATURI($0) }
        let blob = try parameters.parse("blob") { try CID($0) }
        let notFound = XRPCError.invalidRequest("Subject not found", name: XRPCErrorName.notFound)

        var output: [String: LexValue]
        if let blob {
            guard let did else { throw XRPCError.invalidRequest("Must provide a did to request blob state") }
            let row = try await actorStore.read(did) { try $0.blob.metadata(blob, includeTakenDown: true) }
            guard let row else { throw notFound }
            output = [
                "subject": .map([
                    "$type": .string(Subject.blobType), "did": .string(did.rawValue), "cid": .string(blob.description),
                ]),
                "takedown": StatusAttr(takedownRef: row.takedownRef).lexValue,
            ]
        } else if let uri {
            guard let repo = uri.authority.did else { throw notFound }
            let record = try await actorStore.read(repo) { reader in
                (try reader.record.takedownRef(uri: uri), try reader.record.currentRecordCID(uri: uri))
            }
            guard let takedownRef = record.0, let cid = record.1 else { throw notFound }
            output = [
                "subject": .map([
                    "$type": .string(Subject.recordType), "uri": .string(uri.rawValue), "cid": .string(cid.description),
                ]),
                "takedown": StatusAttr(takedownRef: takedownRef).lexValue,
            ]
        } else if let did {
            guard let account = try await serviceDB.account(did: did) else { throw notFound }
            output = [
                "subject": .map(["$type": .string(Subject.repoType), "did": .string(did.rawValue)]),
                "takedown": StatusAttr(takedownRef: account.takedownRef).lexValue,
                "deactivated": StatusAttr(applied: account.deactivatedAt != nil, ref: nil).lexValue,
            ]
        } else {
            throw XRPCError.invalidRequest("No provided subject")
        }
        return LexJSONResponse(value: .map(output))
    }
}
