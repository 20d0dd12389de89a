import ActorStore
import ATCore
import ATCrypto
import ATRepo
import Foundation
import Hummingbird
import Identity
import ServiceDB

extension PDSServices {
    /// Writes the signed genesis commit of an empty repo into the actor's store.
    ///
    /// - Note: Merge point: replace the body with `txn.repo.createRepo(...)` once the ActorStore's repo
    ///   transactor lands; callers only need the root CID and rev.
    /// - Parameters:
    ///   - did: the new account (its store must exist).
    ///   - keypair: its signing key.
    /// - Returns: the commit CID and rev.
    func createGenesisRepo(did: DID, keypair: Secp256k1Keypair) async throws -> (cid: CID, rev: TID) {
        try await actorStore.transact(did) { txn in
            let storage = txn.storage
            let commit = try Repo.formatInitCommit(storage: storage, did: did, keypair: keypair)
            try storage.applyCommit(commit)
            return (commit.cid, commit.rev)
        }
    }
}
