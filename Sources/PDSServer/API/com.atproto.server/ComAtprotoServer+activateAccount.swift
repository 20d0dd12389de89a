import ATCore
import ActorStore
import Hummingbird
import Sequencer
import ServiceDB

extension ComAtprotoServer {
    /// `com.atproto.server.activateAccount` (FULL): the DID document must point at this PDS with the account's
    /// key before the account is reactivated.
    /// Sequences `#account`, `#identity` and `#sync` (the current commit), as the reference does.
    func activateAccount(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full)
        guard caller.account != nil else { throw XRPCError.invalidRequest("Account not found", name: XRPCErrorName.accountNotFound) }
        guard await isDIDDocumentValid(caller.did) else {
            throw XRPCError.invalidRequest(
                "DID document does not point to this PDS with the account's signing key", name: XRPCErrorName.invalidRequest)
        }
        try await serviceDB.activateAccount(did: caller.did)
        let did = caller.did
        let head = try await actorStore.read(did) { reader -> (cid: CID, block: [UInt8])? in
            guard let root = try reader.repo.root(), let block = try reader.repo.storage.getBytes(root.cid) else {
                return nil
            }
            return (root.cid, block)
        }
        guard let head else { throw XRPCError.internalServerError }
        _ = try await sequencer.sequenceAccountActivation(
            did: did, handle: caller.account?.handle, commitCID: head.cid, commitBlock: head.block)
    }
}
