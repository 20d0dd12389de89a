import ATCore
import GRDB

/// A row of the `blob` table: an uploaded blob's metadata (the bytes live in the blobstore).
package struct BlobMetadata: Sendable, Equatable {
    /// The blob's CID (raw codec).
    package let cid: CID
    /// The declared MIME type.
    package let mimeType: String
    /// The size in bytes.
    package let size: Int
    /// The blobstore's temporary key while the blob is not referenced by any record yet.
    package let tempKey: String?
    /// When it was uploaded (ISO-8601).
    package let createdAt: String
    /// The moderation takedown reference, if taken down.
    package let takedownRef: String?

    init(_ row: Row) throws {
        self.cid = try row.cid("cid", table: "blob")
        self.mimeType = try row.text("mimeType", table: "blob")
        self.size = row["size"] ?? 0
        self.tempKey = row["tempKey"]
        self.createdAt = try row.text("createdAt", table: "blob")
        self.takedownRef = row["takedownRef"]
    }
}

/// Queries over one actor's `blob` and `record_blob` tables (metadata only; the reference's `BlobReader`).
package struct BlobReader {
    let db: Database

    init(db: Database) { self.db = db }

    /// A blob's metadata, unless taken down (or even then with `includeTakenDown`).
    /// - Parameters:
    ///   - cid: the blob.
    ///   - includeTakenDown: return it even if taken down.
    package func metadata(_ cid: CID, includeTakenDown: Bool = false) throws -> BlobMetadata? {
        let sql = "SELECT * FROM blob WHERE cid = ?" + (includeTakenDown ? "" : " AND takedownRef IS NULL")
        return try Row.fetchOne(db, sql: sql, arguments: [cid.description]).map(BlobMetadata.init)
    }

    /// The CIDs of blobs referenced by records, in CID-string order (`com.atproto.sync.listBlobs`).
    /// - Parameters:
    ///   - since: only blobs of records written after this revision.
    ///   - cursor: continue after this CID.
    ///   - limit: the page size.
    package func listBlobs(since: TID? = nil, cursor: CID? = nil, limit: Int) throws -> [CID] {
        var sql = "SELECT DISTINCT record_blob.blobCid FROM record_blob"
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let since {
            sql += " JOIN record ON record.uri = record_blob.recordUri"
            conditions.append("record.repoRev > ?")
            arguments += [since.rawValue]
        }
        if let cursor {
            conditions.append("record_blob.blobCid > ?")
            arguments += [cursor.description]
        }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY record_blob.blobCid ASC LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { try $0.cid("blobCid", table: "record_blob") }
    }

    /// The records that reference a blob.
    /// - Parameters:
    ///   - cid: the blob.
    package func records(referencing cid: CID) throws -> [ATURI] {
        try Row.fetchAll(
            db,
            sql: "SELECT recordUri FROM record_blob WHERE blobCid = ? ORDER BY recordUri",
            arguments: [cid.description]
        ).map { try $0.uri("recordUri", table: "record_blob") }
    }

    /// The blobs a record references.
    /// - Parameters:
    ///   - uri: the record.
    package func blobs(of uri: ATURI) throws -> [CID] {
        try Row.fetchAll(
            db,
            sql: "SELECT blobCid FROM record_blob WHERE recordUri = ? ORDER BY blobCid",
            arguments: [uri.rawValue]
        ).map { try $0.cid("blobCid", table: "record_blob") }
    }

    /// The number of blob rows.
    package func blobCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM blob") ?? 0
    }

    /// The number of distinct blobs referenced by records.
    package func recordBlobCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(DISTINCT blobCid) FROM record_blob") ?? 0
    }

    /// Which of `keys` a `blob` row still holds as its temporary key (the others are orphaned uploads).
    /// - Parameters:
    ///   - keys: temporary keys found in the blobstore.
    package func tempKeysInUse(_ keys: [String]) throws -> Set<String> {
        var used = Set<String>()
        var start = keys.startIndex
        while start < keys.endIndex {
            let batch = keys[start..<min(start + 500, keys.endIndex)]
            let placeholders = Array(repeating: "?", count: batch.count).joined(separator: ",")
            used.formUnion(
                try String.fetchAll(
                    db,
                    sql: "SELECT tempKey FROM blob WHERE tempKey IN (\(placeholders))",
                    arguments: StatementArguments(Array(batch))
                )
            )
            start = batch.endIndex
        }
        return used
    }

    /// Blobs referenced by records but never uploaded (`com.atproto.repo.listMissingBlobs`), in CID order, each
    /// once with one of the records referencing it (the first by URI), so a CID cursor pages without gaps.
    /// - Parameters:
    ///   - cursor: continue after this CID.
    ///   - limit: the page size.
    package func listMissingBlobs(cursor: CID? = nil, limit: Int) throws -> [(cid: CID, recordURI: ATURI)] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT record_blob.blobCid, min(record_blob.recordUri) AS recordUri FROM record_blob
                WHERE NOT EXISTS (SELECT 1 FROM blob WHERE blob.cid = record_blob.blobCid)
                AND record_blob.blobCid > ?
                GROUP BY record_blob.blobCid ORDER BY record_blob.blobCid ASC LIMIT ?
                """,
            arguments: [cursor?.description ?? "", limit]
        ).map { (try $0.cid("blobCid", table: "record_blob"), try $0.uri("recordUri", table: "record_blob")) }
    }
}
