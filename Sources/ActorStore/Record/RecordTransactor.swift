import ATCore
import GRDB

/// Writes to one actor's `record` and `backlink` index (the reference's `RecordTransactor`).
package struct RecordTransactor {
    /// Whether a write creates or updates a record; an update replaces the record's backlinks.
    package enum Action: Sendable {
        case create, update
    }

    let db: Database

    init(db: Database) { self.db = db }

    /// Indexes a record (upserting by URI) and its backlinks.
    /// - Parameters:
    ///   - uri: the record; it must name a DID, a collection and a record key.
    ///   - cid: the record's CID.
    ///   - record: the value, for backlinks (`nil` skips them).
    ///   - action: create, or update (which first removes the record's old backlinks).
    ///   - repoRev: the revision of the commit writing it.
    ///   - indexedAt: the ISO-8601 index time (default now).
    package func indexRecord(
        uri: ATURI,
        cid: CID,
        record: LexValue?,
        action: Action = .create,
        repoRev: TID,
        indexedAt: String = Datetime.now().rawValue
    ) throws {
        guard uri.authority.did != nil, let collection = uri.collection, let rkey = uri.recordKey else {
            throw ActorStoreError.invalidRecordURI(uri.rawValue)
        }
        try db.cachedExecute(
            """
            INSERT INTO record (uri, cid, collection, rkey, repoRev, indexedAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, repoRev = excluded.repoRev,
                indexedAt = excluded.indexedAt
            """,
            [uri.rawValue, cid.description, collection.rawValue, rkey.rawValue, repoRev.rawValue, indexedAt]
        )
        guard let record else { return }
        if action == .update { try removeBacklinks(uri: uri) }
        try addBacklinks(Backlink.of(uri: uri, record: record))
    }

    /// Removes a record from the index with its backlinks.
    /// - Parameters:
    ///   - uri: the record.
    package func deleteRecord(uri: ATURI) throws {
        try db.cachedExecute("DELETE FROM record WHERE uri = ?", [uri.rawValue])
        try removeBacklinks(uri: uri)
    }

    /// Removes every backlink made by `uri`.
    /// - Parameters:
    ///   - uri: the linking record.
    package func removeBacklinks(uri: ATURI) throws {
        try db.cachedExecute("DELETE FROM backlink WHERE uri = ?", [uri.rawValue])
    }

    /// Adds backlinks, ignoring ones already present.
    /// - Parameters:
    ///   - backlinks: the links.
    package func addBacklinks(_ backlinks: [Backlink]) throws {
        for link in backlinks {
            try db.cachedExecute(
                "INSERT INTO backlink (uri, path, linkTo) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [link.uri.rawValue, link.path, link.linkTo]
            )
        }
    }

    /// Sets or clears a record's takedown reference.
    /// - Parameters:
    ///   - uri: the record.
    ///   - takedownRef: the reference, or `nil` to restore it.
    package func updateTakedown(uri: ATURI, takedownRef: String?) throws {
        try db.execute(
            sql: "UPDATE record SET takedownRef = ? WHERE uri = ?",
            arguments: [takedownRef, uri.rawValue]
        )
    }

    /// A row of the record index as an index rebuild keeps it.
    package struct IndexedRow: Sendable {
        /// The record's AT-URI.
        package var uri: String
        /// The CID indexed.
        package var cid: String
        /// When it was first indexed.
        package var indexedAt: String
        /// Its takedown reference.
        package var takedownRef: String?
    }

    /// Every row of the record index (an index rebuild keeps their times and takedowns).
    package func indexedRows() throws -> [IndexedRow] {
        try Row.fetchAll(db, sql: "SELECT uri, cid, indexedAt, takedownRef FROM record").map {
            IndexedRow(uri: $0["uri"], cid: $0["cid"], indexedAt: $0["indexedAt"], takedownRef: $0["takedownRef"])
        }
    }

    /// Empties the record index and the backlinks (an index rebuild refills them).
    package func clearIndex() throws {
        try db.execute(sql: "DELETE FROM record")
        try db.execute(sql: "DELETE FROM backlink")
    }
}
