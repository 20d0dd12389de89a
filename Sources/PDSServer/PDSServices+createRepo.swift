import ActorStore
import ATCore
import ATCrypto
import ATRepo

extension PDSServices {
    /// Writes the signed genesis commit of an empty repo into the actor's store.
    /// - Parameters:
    ///   - did: the new account (its store must exist).
    ///   - keypair: its signing key.
    /// - Returns: the genesis commit (for the account-creation events).
    func createGenesisRepo(did: DID, keypair: Secp256k1Keypair) async throws -> CommitData {
        try await actorStore.transact(did) { txn in try txn.repo.createRepo(keypair: keypair) }
    }
}
