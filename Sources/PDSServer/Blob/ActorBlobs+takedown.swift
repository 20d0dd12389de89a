import ATCore
import ActorStore
import BlobStore

extension ActorBlobs {
    /// Takes a blob down or restores it (the reference's `updateBlobTakedownStatus`), under the blob's lock.
    ///
    /// A takedown records the reference first, so the blob stops being served and can not be uploaded again at once,
    /// then moves the bytes to quarantine (an upload not yet claimed is made permanent first, so the quarantine holds
    /// it too). A reversal brings the bytes back first, then clears the reference.
    /// - Parameters:
    ///   - cid: the blob.
    ///   - takedownRef: the takedown reference, or `nil` to restore the blob.
    /// - Throws: 400 `BlobNotFound` when the actor has no such blob.
    func updateTakedown(_ cid: CID, takedownRef: String?) async throws {
        let did = self.did
        try await locks.withLock(did: did, cid: cid) {
            let row = try await actorStore.read(did) { try $0.blob.metadata(cid, includeTakenDown: true) }
            guard let row else { throw XRPCError.blobNotFound(cid) }
            guard let takedownRef else {
                try await store.unquarantine(cid)
                try await actorStore.transact(did) { try $0.blob.updateTakedown(cid, takedownRef: nil) }
                return
            }
            if let tempKey = row.tempKey.flatMap({ try? BlobTempKey($0) }) {
                try await store.makePermanent(tempKey: tempKey, cid: cid)
            }
            try await actorStore.transact(did) { txn in
                try txn.blob.makePermanent(cid)
                try txn.blob.updateTakedown(cid, takedownRef: takedownRef)
            }
            try await store.quarantine(cid)
        }
    }
}
