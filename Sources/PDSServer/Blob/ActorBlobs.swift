import ATCore
import ActorStore
import BlobStore

/// One actor's blobs: their rows (`blob`, `record_blob` in the actor store) and their bytes (the blobstore), kept in
/// step.
///
/// Rows change inside the actor's synchronous write transactions; bytes move outside them, under ``BlobLocks``. The
/// order of the two is what keeps them consistent:
/// - bytes reach permanent storage *before* a row says the blob is permanent (`tempKey` NULL), so a served row
///   always has its bytes;
/// - permanent bytes are deleted only *after* the row is gone, and only if no row for the CID exists when the lock
///   is held (a re-upload may have brought it back).
///
/// Moves are idempotent (``BlobStore/makePermanent(tempKey:cid:)`` does nothing when the temporary upload is gone
/// and the permanent copy is there), so an aborted write that moved bytes leaves nothing a retry can not finish.
struct ActorBlobs: Sendable {
    /// The actor.
    let did: DID
    /// The actor stores (for the rows).
    let actorStore: ActorStore
    /// The actor's blobstore.
    let store: any BlobStore
    /// The per-blob locks shared by the whole server.
    let locks: BlobLocks

    /// Moves an upload's bytes to permanent storage (the row is changed by the caller, afterwards).
    /// - Parameters:
    ///   - cid: the blob.
    ///   - tempKey: the row's temporary key.
    /// - Throws: 400 `BlobNotFound` when neither the upload nor a permanent copy exists.
    func moveToPermanent(_ cid: CID, tempKey: String) async throws {
        guard let key = try? BlobTempKey(tempKey) else { throw XRPCError.blobNotFound(cid) }
        do {
            try await locks.withLock(did: did, cid: cid) {
                try await store.makePermanent(tempKey: key, cid: cid)
            }
        } catch BlobStoreError.notFound {
            throw XRPCError.blobNotFound(cid)
        }
    }

    /// Deletes a blob's permanent bytes unless a row for it exists (checked under the blob's lock).
    /// - Parameters:
    ///   - cid: a blob whose row was deleted.
    /// - Returns: whether the bytes were deleted (`false` when a row came back).
    @discardableResult
    func deleteUntracked(_ cid: CID) async throws -> Bool {
        try await locks.withLock(did: did, cid: cid) { try await deleteStoredUnlessTracked(cid) }
    }

    /// Deletes the bytes of an expired upload whose row the garbage collector deleted: the temporary upload, and
    /// the permanent copy an aborted record write may have made, unless a row for the CID exists again.
    /// - Parameters:
    ///   - cid: the blob.
    ///   - tempKey: the deleted row's temporary key.
    func deleteExpired(_ cid: CID, tempKey: String) async throws {
        try await locks.withLock(did: did, cid: cid) {
            if let key = try? BlobTempKey(tempKey) { try await store.deleteTemp(key) }
            _ = try await deleteStoredUnlessTracked(cid)
        }
    }

    /// Call with the blob's lock held.
    private func deleteStoredUnlessTracked(_ cid: CID) async throws -> Bool {
        let did = self.did
        let tracked = try await actorStore.read(did) { try $0.blob.metadata(cid, includeTakenDown: true) != nil }
        guard !tracked else { return false }
        try await store.delete(cid)
        return true
    }
}

extension PDSServices {
    /// The blobs of `did`.
    /// - Parameters:
    ///   - did: the actor.
    func blobs(of did: DID) -> ActorBlobs {
        ActorBlobs(did: did, actorStore: actorStore, store: blobstore(did), locks: blobLocks)
    }
}

extension XRPCError {
    /// 400 `BlobNotFound`: the blob is unknown here, taken down, or not (yet) stored permanently.
    /// - Parameters:
    ///   - cid: the blob, named in the message when given.
    static func blobNotFound(_ cid: CID? = nil) -> XRPCError {
        .invalidRequest(cid.map { "Could not find blob: \($0)" } ?? "Blob not found", name: XRPCErrorName.blobNotFound)
    }
}
