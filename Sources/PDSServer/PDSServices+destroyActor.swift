import ATCore
import ActorStore
import BlobStore

extension PDSServices {
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
