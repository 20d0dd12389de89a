import ATCore
import GRDB

/// Writes to one actor's `blob` and `record_blob` tables (metadata only; the caller moves or deletes the bytes in
/// the blobstore).
package struct BlobTransactor {
    let db: Database

    init(db: Database) { self.db = db }

    /// Records an uploaded blob not yet referenced by a record (the reference's `trackUntetheredBlob`). Re-uploading
    /// a blob that is still temporary replaces its temporary key; a permanent blob is left as it is.
    /// - Parameters:
    ///   - cid: the blob.
    ///   - mimeType: its MIME type.
    ///   - size: its size in bytes.
    ///   - tempKey: the blobstore's temporary key.
    ///   - createdAt: the ISO-8601 upload time (default now).
    package func trackUntetheredBlob(
        cid: CID,
        mimeType: String,
        size: Int,
        tempKey: String,
        createdAt: String = Datetime.now().rawValue
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO blob (cid, mimeType, size, tempKey, createdAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (cid) DO UPDATE SET tempKey = excluded.tempKey WHERE blob.tempKey IS NOT NULL
                """,
            arguments: [cid.description, mimeType, size, tempKey, createdAt]
        )
    }

    /// Marks a blob permanent.
    /// - Parameters:
    ///   - cid: the blob.
    /// - Returns: The temporary key it had (the caller moves those bytes to permanent storage), or `nil` if it was
    ///   already permanent or is unknown.
    @discardableResult
    package func makePermanent(_ cid: CID) throws -> String? {
        let tempKey = try String.fetchOne(
            db,
            sql: "SELECT tempKey FROM blob WHERE cid = ? AND tempKey IS NOT NULL",
            arguments: [cid.description]
        )
        if tempKey != nil {
            try db.execute(sql: "UPDATE blob SET tempKey = NULL WHERE cid = ?", arguments: [cid.description])
        }
        return tempKey
    }

    /// Forgets every record's blob references (a repo import records them again); the blob rows stay.
    package func clearRecordReferences() throws {
        try db.execute(sql: "DELETE FROM record_blob")
    }

    /// Records that `uri` references `blobs`.
    /// - Parameters:
    ///   - blobs: the blob CIDs.
    ///   - uri: the record.
    package func associate(_ blobs: [CID], with uri: ATURI) throws {
        for cid in blobs {
            try db.execute(
                sql: "INSERT INTO record_blob (blobCid, recordUri) VALUES (?, ?) ON CONFLICT DO NOTHING",
                arguments: [cid.description, uri.rawValue]
            )
        }
    }

    /// Removes the blob references of records that were deleted or rewritten, and the blob rows no record references
    /// any more (the reference's `deleteDereferencedBlobs`).
    /// - Parameters:
    ///   - uris: the deleted or updated records.
    ///   - keeping: blobs the same write references again (never deleted).
    /// - Returns: The CIDs whose rows were deleted: the caller deletes their bytes.
    package func deleteDereferencedBlobs(of uris: [ATURI], keeping: Set<CID> = []) throws -> [CID] {
        guard !uris.isEmpty else { return [] }
        var dereferenced = Set<CID>()
        for uri in uris {
            let rows = try Row.fetchAll(
                db,
                sql: "DELETE FROM record_blob WHERE recordUri = ? RETURNING blobCid",
                arguments: [uri.rawValue]
            )
            for row in rows { dereferenced.insert(try row.cid("blobCid", table: "record_blob")) }
        }
        var deleted: [CID] = []
        for cid in dereferenced.sorted() where !keeping.contains(cid) {
            let stillReferenced =
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM record_blob WHERE blobCid = ?)",
                    arguments: [cid.description]
                ) ?? false
            guard !stillReferenced else { continue }
            try db.execute(sql: "DELETE FROM blob WHERE cid = ?", arguments: [cid.description])
            deleted.append(cid)
        }
        return deleted
    }

    /// Deletes the rows of temporary uploads created before `cutoff` that no record references (garbage collection of
    /// uploads never claimed; taken-down rows are kept, so a taken-down blob can not be uploaded again).
    /// - Parameters:
    ///   - cutoff: an ISO-8601 time in the `createdAt` format (`YYYY-MM-DDTHH:MM:SS.sssZ`).
    /// - Returns: The deleted rows' CIDs and temporary keys: the caller deletes their bytes.
    package func deleteExpiredTempBlobs(createdBefore cutoff: String) throws -> [(cid: CID, tempKey: String)] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                DELETE FROM blob WHERE tempKey IS NOT NULL AND takedownRef IS NULL AND createdAt < ?
                AND NOT EXISTS (SELECT 1 FROM record_blob WHERE record_blob.blobCid = blob.cid)
                RETURNING cid, tempKey
                """,
            arguments: [cutoff]
        )
        return try rows.map { (try $0.cid("cid", table: "blob"), try $0.text("tempKey", table: "blob")) }
            .sorted { $0.cid.description < $1.cid.description }
    }

    /// Sets or clears a blob's takedown reference.
    /// - Parameters:
    ///   - cid: the blob.
    ///   - takedownRef: the reference, or `nil` to restore it.
    package func updateTakedown(_ cid: CID, takedownRef: String?) throws {
        try db.execute(sql: "UPDATE blob SET takedownRef = ? WHERE cid = ?", arguments: [takedownRef, cid.description])
    }
}
