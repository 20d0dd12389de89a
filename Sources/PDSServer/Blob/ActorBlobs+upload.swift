import ATCore
import ActorStore
import BlobStore
import Foundation

extension ActorBlobs {
    /// Records an upload stored under a temporary key (the reference's `trackUntetheredBlob`) and returns the blob's
    /// row.
    ///
    /// - A blob already stored permanently keeps its row; this upload's copy is deleted at once.
    /// - A blob that records already reference (an imported repo, then the missing blobs uploaded) becomes
    ///   permanent at once: bytes first, then the row.
    /// - On failure the upload's bytes are deleted.
    /// - Parameters:
    ///   - upload: what the upload pipeline stored.
    ///   - date: the upload time (`createdAt`, which the garbage collector's grace period counts from).
    /// - Throws: 400 `InvalidRequest` when the blob was taken down (it can not be uploaded again).
    func track(_ upload: BlobUploadResult, at date: Date) async throws -> BlobMetadata {
        let key = upload.tempKey.rawValue
        let createdAt = Datetime(date).rawValue
        let tracked: (row: BlobMetadata, referenced: Bool)
        do {
            tracked = try await actorStore.transact(did) { txn in
                if try txn.blobReader.metadata(upload.cid, includeTakenDown: true)?.takedownRef != nil {
                    throw XRPCError.invalidRequest("Blob has been takendown, cannot re-upload")
                }
                try txn.blob.trackUntetheredBlob(
                    cid: upload.cid, mimeType: upload.mimeType, size: upload.size, tempKey: key, createdAt: createdAt)
                guard let row = try txn.blobReader.metadata(upload.cid, includeTakenDown: true) else {
                    throw ActorStoreError.corruptRow(table: "blob", column: "cid", value: upload.cid.description)
                }
                return (row, !(try txn.blobReader.records(referencing: upload.cid).isEmpty))
            }
        } catch {
            try? await store.deleteTemp(upload.tempKey)
            throw error
        }
        guard tracked.row.tempKey == key else {
            // Stored permanently already: this copy is not needed (the garbage collector would find it otherwise).
            try? await store.deleteTemp(upload.tempKey)
            return tracked.row
        }
        guard tracked.referenced else { return tracked.row }
        try await moveToPermanent(upload.cid, tempKey: key)
        return try await actorStore.transact(did) { txn in
            try txn.blob.makePermanent(upload.cid)
            return try txn.blobReader.metadata(upload.cid, includeTakenDown: true) ?? tracked.row
        }
    }
}
