import ATCore
import ATCrypto
import ActorStore
import ATRepo
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
        let did = caller.did
        // Before the account can write again, so no commit lands between a re-signed root and its #sync.
        let head = try await actorStore.transact(did) { txn in try Self.headSignedByAccountKey(txn) }
        guard let head else { throw XRPCError.internalServerError }
        if head.resigned { try await serviceDB.updateRepoRoot(did: did, cid: head.cid, rev: head.rev) }
        try await serviceDB.activateAccount(did: did)
        _ = try await sequencer.sequenceAccountActivation(
            did: did, handle: caller.account?.handle, commitCID: head.cid, commitBlock: head.block)
    }

    /// The repo's current commit for the activation's `#sync`. A commit not signed by the account's key here (a repo
    /// imported from the previous PDS, signed with the key the account had there) is first re-signed over the same
    /// data with a newer rev (our extension: the reference announces the old signature, which relays checking it
    /// against the DID document's new key refuse).
    static func headSignedByAccountKey(_ txn: ActorStoreTransactor) throws
        -> (cid: CID, rev: TID, block: [UInt8], resigned: Bool)?
    {
        guard let root = try txn.repo.root(), let block = try txn.storage.getBytes(root.cid) else { return nil }
        let keypair = try txn.keypair()
        if try Commit(bytes: block).verifySignature(with: keypair.publicKey) {
            return (root.cid, root.rev, block, false)
        }
        let commit = try Repo.load(storage: txn.storage, cid: root.cid).formatResign(keypair: keypair, after: root.rev)
        guard let resignedBlock = commit.newBlocks[commit.cid] else { throw RepoError.missingBlock(commit.cid) }
        try txn.storage.applyCommit(commit)
        return (commit.cid, commit.rev, resignedBlock, true)
    }
}
