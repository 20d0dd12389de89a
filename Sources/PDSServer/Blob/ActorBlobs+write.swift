import ATCore
import ATRepo
import ActorStore
import Logging

/// The blobs a record write claims, prepared before its transaction (the reference's `processWriteBlobs`, split
/// around the synchronous transaction).
///
/// 1. ``ActorBlobs/prepareWrite(records:)``, before the transaction: every blob reference must name an uploaded,
///    not taken-down blob; one still temporary must match the upload's MIME type and size; its bytes are moved to
///    permanent storage.
/// 2. ``apply(_:writes:)``, inside it: the rows are checked again (authoritatively), temporary blobs become
///    permanent, `record_blob` follows the writes, and the blobs no record references any more lose their rows.
/// 3. ``ActorBlobs/deleteDereferenced(_:logger:)``, after the commit: their bytes are deleted.
struct PreparedBlobs: Sendable {
    /// The actor.
    let did: DID
    /// The temporary key of each blob whose bytes were moved, as its row had it.
    let moved: [CID: String]

    /// A blob's row changed between the preparation and the transaction (a concurrent re-upload or garbage
    /// collection): the write is prepared again.
    struct Conflict: Error {}

    /// Phase 2, inside the write transaction, after `processWrites`.
    /// - Parameters:
    ///   - txn: the transaction.
    ///   - writes: the commit's writes.
    /// - Returns: the blobs whose rows were deleted because no record references them any more.
    /// - Throws: 400 `BlobNotFound`, `InvalidMimeType`, `InvalidSize`; ``Conflict``.
    func apply(_ txn: ActorStoreTransactor, writes: [RepoWrite]) throws -> [CID] {
        var rewritten: [ATURI] = []
        var claims: [(uri: ATURI, cids: [CID])] = []
        var kept = Set<CID>()
        for write in writes {
            let uri = ATURI(did: did, collection: write.collection, rkey: write.rkey)
            if write.action != .create { rewritten.append(uri) }
            guard write.action != .delete, let record = write.record else { continue }
            let refs = try Self.blobRefs(in: record)
            for ref in refs {
                let row = try txn.blobReader.metadata(ref.ref, includeTakenDown: true)
                guard let row, row.takedownRef == nil else { throw XRPCError.blobNotFound(ref.ref) }
                guard let tempKey = row.tempKey else { continue }
                try Self.check(ref, against: row)
                guard moved[ref.ref] == tempKey else { throw Conflict() }
                try txn.blob.makePermanent(ref.ref)
            }
            kept.formUnion(refs.map(\.ref))
            claims.append((uri, refs.map(\.ref)))
        }
        let dereferenced = try txn.blob.deleteDereferencedBlobs(of: rewritten, keeping: kept)
        for claim in claims { try txn.blob.associate(claim.cids, with: claim.uri) }
        return dereferenced
    }

    /// The blob references of a record.
    /// - Throws: 400 `InvalidRequest` for a legacy `{cid, mimeType}` reference (refused, as the reference does).
    static func blobRefs(in record: LexValue) throws -> [BlobRef] {
        let refs = BlobRef.all(in: record)
        if let legacy = refs.first(where: \.isLegacy) {
            throw XRPCError.invalidRequest("Legacy blob references are not accepted: \(legacy.ref)")
        }
        return refs
    }

    /// A reference to a blob still temporary must declare the uploaded (sniffed) MIME type and the exact size.
    /// - Throws: 400 `InvalidMimeType` or `InvalidSize`.
    static func check(_ ref: BlobRef, against row: BlobMetadata) throws {
        guard ref.mimeType == row.mimeType else {
            throw XRPCError.invalidRequest(
                "Referenced Mimetype does not match stored blob. Expected: \(row.mimeType), Got: \(ref.mimeType)",
                name: XRPCErrorName.invalidMimeType)
        }
        guard ref.size == Int64(row.size) else {
            throw XRPCError.invalidRequest(
                "Referenced size does not match stored blob. Expected: \(row.size), Got: \(ref.size ?? 0)",
                name: XRPCErrorName.invalidSize)
        }
    }
}

extension ActorBlobs {
    /// Phase 1 of a record write, before its transaction: checks the blobs the records reference and moves the
    /// temporary ones to permanent storage.
    /// - Parameters:
    ///   - records: the records the write may create or update.
    /// - Throws: 400 `BlobNotFound`, `InvalidMimeType`, `InvalidSize`, or `InvalidRequest` for legacy references.
    func prepareWrite(records: [LexValue]) async throws -> PreparedBlobs {
        let refs = try records.flatMap(PreparedBlobs.blobRefs(in:))
        guard !refs.isEmpty else { return PreparedBlobs(did: did, moved: [:]) }
        let cids = Array(Set(refs.map(\.ref)))
        let rows = try await actorStore.read(did) { reader in
            try cids.compactMap { try reader.blob.metadata($0, includeTakenDown: true) }
        }
        let byCID = Dictionary(rows.map { ($0.cid, $0) }, uniquingKeysWith: { first, _ in first })
        for ref in refs {
            guard let row = byCID[ref.ref], row.takedownRef == nil else { throw XRPCError.blobNotFound(ref.ref) }
            if row.tempKey != nil { try PreparedBlobs.check(ref, against: row) }
        }
        var moved: [CID: String] = [:]
        for row in rows {
            guard let tempKey = row.tempKey else { continue }
            try await moveToPermanent(row.cid, tempKey: tempKey)
            moved[row.cid] = tempKey
        }
        return PreparedBlobs(did: did, moved: moved)
    }

    /// Phase 3, after the commit: deletes the bytes of blobs whose rows the write deleted. Failures are logged: the
    /// write is durable by then.
    /// - Parameters:
    ///   - cids: the blobs ``PreparedBlobs/apply(_:writes:)`` returned.
    ///   - logger: where failures go.
    func deleteDereferenced(_ cids: [CID], logger: Logger) async {
        for cid in cids {
            do {
                try await deleteUntracked(cid)
            } catch {
                logger.error(
                    "Deleting a dereferenced blob failed",
                    metadata: ["atproto.did": "\(did)", "blob.cid": "\(cid)", "error": "\(error)"])
            }
        }
    }
}
