import ATCore
import Foundation
import NIOCore

/// The byte storage for one actor's blobs: temporary uploads, permanent blobs and quarantined (taken-down) blobs.
///
/// One instance serves one DID, as in the reference (`blobstore(did)`); ``BlobStoreFactory`` makes them. Metadata
/// (the `blob` and `record_blob` tables) lives in the actor store; this only moves bytes.
///
/// Layout (reference-compatible):
///
/// | | Temp | Permanent | Quarantine |
/// |---|---|---|---|
/// | Disk | `<tmp>/<did>/<key>` | `<location>/<did>/<cid>` | `<location>/quarantine/<did>/<cid>` |
/// | S3 | `tmp/<did>/<key>` | `blocks/<did>/<cid>` | `quarantine/<did>/<cid>` |
package protocol BlobStore: Sendable {
    /// The actor whose blobs this stores.
    var did: DID { get }

    /// Stores an upload under a fresh temporary key.
    ///
    /// - Note: If `chunks` throws (for example ``BlobStoreError/tooLarge(limit:)`` from the upload pipeline) or the
    ///   write fails, nothing is left behind and the error is rethrown.
    /// - Parameters:
    ///   - chunks: the bytes, in order.
    /// - Returns: The temporary key.
    func putTemp(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> BlobTempKey

    /// Moves a temporary upload to permanent storage under its CID. If the temporary upload is gone but the
    /// permanent blob exists (a retried or concurrent call), this does nothing.
    /// - Parameters:
    ///   - tempKey: the key ``putTemp(_:)`` returned.
    ///   - cid: the blob's CID.
    /// - Throws: ``BlobStoreError/notFound`` if neither exists.
    func makePermanent(tempKey: BlobTempKey, cid: CID) async throws

    /// Stores bytes directly as a permanent blob (repo import, tests), replacing any existing copy.
    /// - Parameters:
    ///   - cid: the blob's CID.
    ///   - bytes: the content.
    func putPermanent(cid: CID, bytes: ByteBuffer) async throws

    /// Moves a permanent blob to quarantine (takedown); it is no longer served. Quarantining a blob that is already
    /// quarantined does nothing.
    /// - Parameters:
    ///   - cid: the blob.
    /// - Throws: ``BlobStoreError/notFound`` if it is neither stored nor quarantined.
    func quarantine(_ cid: CID) async throws

    /// Moves a quarantined blob back to permanent storage (takedown reversed). Does nothing if it is already there.
    /// - Parameters:
    ///   - cid: the blob.
    /// - Throws: ``BlobStoreError/notFound`` if it is neither quarantined nor stored.
    func unquarantine(_ cid: CID) async throws

    /// A permanent blob's content, or a byte range of it, as a stream.
    /// - Parameters:
    ///   - cid: the blob.
    ///   - range: the bytes wanted (an HTTP `Range`), or `nil` for all of them.
    /// - Throws: ``BlobStoreError/notFound``, or ``BlobStoreError/rangeNotSatisfiable(size:)``.
    func get(_ cid: CID, range: BlobByteRange?) async throws -> BlobContent

    /// Whether a temporary upload exists.
    /// - Parameters:
    ///   - key: its key.
    func hasTemp(_ key: BlobTempKey) async throws -> Bool

    /// Whether a permanent (not quarantined) blob exists.
    /// - Parameters:
    ///   - cid: the blob.
    func hasStored(_ cid: CID) async throws -> Bool

    /// Deletes a permanent blob; a missing blob is not an error. A quarantined copy is kept, as in the reference.
    /// - Parameters:
    ///   - cid: the blob.
    func delete(_ cid: CID) async throws

    /// Deletes several permanent blobs (``delete(_:)`` for each, batched where the backend can).
    /// - Parameters:
    ///   - cids: the blobs.
    func deleteMany(_ cids: [CID]) async throws

    /// Deletes everything stored for this actor: permanent, temporary and quarantined blobs.
    func deleteAll() async throws

    /// The temporary uploads last written before `date`, for garbage collection of uploads never referenced by a
    /// record. The caller deletes the matching `blob` rows too.
    /// - Parameters:
    ///   - date: the cut-off.
    func listTemp(olderThan date: Date) async throws -> [BlobTempKey]

    /// Deletes a temporary upload; a missing one is not an error.
    /// - Parameters:
    ///   - key: its key.
    func deleteTemp(_ key: BlobTempKey) async throws
}

extension BlobStore {
    /// A permanent blob's whole content as a stream.
    /// - Parameters:
    ///   - cid: the blob.
    package func getStream(_ cid: CID) async throws -> BlobByteStream {
        try await get(cid, range: nil).body
    }

    /// A permanent blob's whole content in memory.
    /// - Parameters:
    ///   - cid: the blob.
    package func getBytes(_ cid: CID) async throws -> ByteBuffer {
        let content = try await get(cid, range: nil)
        return try await content.body.collect(upTo: content.contentLength)
    }
}

/// Makes the ``BlobStore`` for an actor (the reference's `blobstore: (did) => BlobStore`).
package struct BlobStoreFactory: Sendable {
    private let make: @Sendable (DID) -> any BlobStore

    /// A factory from a closure.
    /// - Parameters:
    ///   - make: builds the store of one DID.
    package init(_ make: @escaping @Sendable (DID) -> any BlobStore) { self.make = make }

    /// The store for `did`.
    /// - Parameters:
    ///   - did: the actor.
    package func callAsFunction(_ did: DID) -> any BlobStore { make(did) }
}
