import ATCore
import ATCrypto
import ATRepo
import ActorStore
import BlobStore
import Identity
import Logging
import ServiceDB

/// The identity and storage steps of `com.atproto.server.createAccount`, and their undoing: the PLC DID (genesis
/// operation, or tombstone on rollback), the actor store with its genesis repo, and the account's blobs and rows when
/// a later step fails.
///
/// The account rows, the session and the events stay with the handler; this type holds the only handle on the PLC
/// rotation key that request handling needs.
struct AccountProvisioner: Sendable {
    /// The per-actor stores.
    let actorStore: ActorStore
    /// Accounts (rollback deletes the rows).
    let serviceDB: ServiceDB
    /// The blobstore of each actor (rollback deletes its blobs).
    let blobstore: BlobStoreFactory
    /// Where did:plc operations go.
    let plcClient: any PLCClient
    /// The PDS's PLC rotation key (signs the genesis operation and the rollback tombstone).
    let plcRotationKey: Secp256k1Keypair
    /// DID documents (refreshed after the DID is created).
    let didDocuments: DIDDocumentSource
    /// The PDS's public URL, the service endpoint of new DIDs.
    let publicURL: String
    /// `PDS_RECOVERY_DID_KEY`: a rotation key put before the PDS's own in new DIDs.
    let recoveryDIDKey: String?

    /// What the identity and repo steps produced.
    struct CreatedIdentity {
        var did: DID
        var repo: CommitData
        var didDoc: DIDDocument?
        var reservedKeyName: DID?
    }

    /// Generates the signing key, creates the DID (genesis op) unless one was brought, the actor store and the
    /// genesis repo; rolls these back if any step fails.
    func createIdentityAndRepo(handle: Handle, broughtDID: DID?, recoveryKey: String?) async throws
        -> CreatedIdentity
    {
        var keypair = Secp256k1Keypair()
        var reservedKeyName: DID?
        if let broughtDID, let reserved = try await actorStore.reservedKeypair(broughtDID) {
            keypair = reserved
            reservedKeyName = broughtDID
        }
        let did: DID
        var state: PLCState?
        var operation: PLCOperation?
        if let broughtDID {
            did = broughtDID
        } else {
            var rotationKeys = [plcRotationKey.did]
            if let recovery = recoveryDIDKey { rotationKeys.insert(recovery, at: 0) }
            if let recoveryKey { rotationKeys.insert(recoveryKey, at: 0) }
            let genesisState = PLCState.atproto(
                signingKey: keypair.did, handle: handle, pdsEndpoint: publicURL,
                rotationKeys: rotationKeys)
            let genesis = try PLCOperation.genesis(state: genesisState, signer: plcRotationKey)
            did = genesis.did
            state = genesisState
            operation = genesis.operation
        }

        try await actorStore.create(did, keypair: keypair)
        do {
            let repo = try await createGenesisRepo(did: did, keypair: keypair)
            // Last step that can fail here: once the DID exists, failures are rolled back by the caller.
            if let operation { try await plcClient.sendOperation(did, operation) }
            let didDoc: DIDDocument?
            if let state {
                didDoc = state.didDocument(did: did)
                _ = try? await didDocuments.document(did, forceRefresh: true)
            } else {
                didDoc = try? await didDocuments.document(did, forceRefresh: true)
            }
            return CreatedIdentity(did: did, repo: repo, didDoc: didDoc, reservedKeyName: reservedKeyName)
        } catch {
            try? await destroyActor(did)
            throw error
        }
    }

    /// Undoes a partly created account: its rows, its PLC DID (tombstoned, only when this server created it) and
    /// its actor store. Failures here are logged, not thrown: the original error is what the client sees.
    func rollBackAccountCreation(did: DID, createdDID: Bool, logger: Logger) async {
        do { try await serviceDB.deleteAccount(did: did) } catch {
            logger.error("Rollback: deleting account rows failed", metadata: ["atproto.did": "\(did)"])
        }
        if createdDID {
            do { _ = try await plcClient.tombstone(did, signer: plcRotationKey) } catch {
                logger.error("Rollback: tombstoning the DID failed", metadata: ["atproto.did": "\(did)"])
            }
        }
        do { try await destroyActor(did) } catch {
            logger.error("Rollback: destroying the actor store failed", metadata: ["atproto.did": "\(did)"])
        }
    }

    /// Writes the signed genesis commit of an empty repo into the actor's store.
    /// - Parameters:
    ///   - did: the new account (its store must exist).
    ///   - keypair: its signing key.
    /// - Returns: the genesis commit (for the account-creation events).
    func createGenesisRepo(did: DID, keypair: Secp256k1Keypair) async throws -> CommitData {
        try await actorStore.transact(did) { txn in try txn.repo.createRepo(keypair: keypair) }
    }

    /// Deletes everything an actor has on this server's storage: its blobs in the blobstore (permanent, temporary and
    /// quarantined, on disk or in S3) and its actor store. The store is destroyed even when deleting the blobs fails;
    /// that failure is thrown afterwards.
    /// - Parameters:
    ///   - did: the actor.
    func destroyActor(_ did: DID) async throws {
        var blobError: (any Error)?
        do { try await blobstore(did).deleteAll() } catch { blobError = error }
        try await actorStore.destroy(did)
        if let blobError { throw blobError }
    }
}
