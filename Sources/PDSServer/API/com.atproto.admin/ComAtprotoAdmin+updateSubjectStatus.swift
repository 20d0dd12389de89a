import ATCore
import ActorStore
import Hummingbird
import Sequencer
import ServiceDB

extension ComAtprotoAdmin {
    /// `com.atproto.admin.updateSubjectStatus` (moderator: admin Basic or a mod-service JWT): applies or reverses a
    /// takedown of an account (`#repoRef`, revoking its sessions), a record (`strongRef`) or a blob (`#repoBlobRef`,
    /// whose bytes go to quarantine and come back on reversal), and deactivates or reactivates an account. An account
    /// subject sequences an `#account` event with the resulting status, as the reference does.
    ///
    /// A takedown without `ref` is recorded with the current time as its reference, as in the reference.
    /// - Returns: `{subject, takedown}` as given.
    /// - Throws: 400 `InvalidRequest` for an unsupported subject type, `AccountNotFound`, `RecordNotFound` or
    ///   `BlobNotFound` for a subject that does not exist.
    func updateSubjectStatus(_ request: Request) async throws -> LexJSONResponse {
        try await auth.moderator(request, lxm: "com.atproto.admin.updateSubjectStatus")
        let input = try RepoInput(try await XRPCBody.lexValue(request))
        guard let subjectValue = input.value["subject"] else {
            throw XRPCError.invalidRequest("Input must have the property \"subject\"")
        }
        let subject = try Subject(subjectValue)
        let takedown = try StatusAttr.parse(input.value["takedown"], name: "takedown")
        let deactivated = try StatusAttr.parse(input.value["deactivated"], name: "deactivated")
        let takedownRef = takedown.flatMap { $0.applied ? ($0.ref ?? Datetime(now()).rawValue) : nil }

        switch subject {
        case .repo(let did):
            guard try await serviceDB.account(did: did) != nil else { throw ServiceDBError.accountNotFound }
            if takedown != nil { try await serviceDB.setTakedown(did: did, ref: takedownRef) }
            if let deactivated {
                if deactivated.applied {
                    try await serviceDB.deactivateAccount(did: did, deleteAfter: nil)
                } else {
                    try await serviceDB.activateAccount(did: did)
                }
            }
            guard let account = try await serviceDB.account(did: did) else {
                throw ServiceDBError.accountNotFound
            }
            let status: AccountEvent.Status? =
                switch account.status {
                case .active: nil
                case .takendown: .takendown
                case .deactivated: .deactivated
                case .suspended: .suspended
                case .deleted: .deleted
                }
            try await sequencer.sequenceAccountStatus(did: did, active: status == nil, status: status)
        case .record(let uri, let did, _):
            if takedown != nil {
                try await actorStore.transact(did) { txn in
                    guard try txn.recordReader.takedownRef(uri: uri) != nil else {
                        throw XRPCError.invalidRequest(
                            "Could not locate record: \(uri.rawValue)", name: XRPCErrorName.recordNotFound)
                    }
                    try txn.record.updateTakedown(uri: uri, takedownRef: takedownRef)
                }
            }
        case .blob(let did, let cid):
            if takedown != nil { try await blobs(did).updateTakedown(cid, takedownRef: takedownRef) }
        }

        var output: [String: LexValue] = ["subject": subjectValue]
        if let takedown { output["takedown"] = takedown.lexValue }
        return LexJSONResponse(value: .map(output))
    }
}
