import ATCore
import Foundation
import GRDB

/// An indexed record with its value (from `repo_block`).
package struct RecordListing: Sendable, Equatable {
    /// The record's URI.
    package let uri: ATURI
    /// The record's CID.
    package let cid: CID
    /// The decoded record.
    package let value: LexValue
}

/// An indexed record with its value and index metadata.
package struct StoredRecord: Sendable, Equatable {
    /// The record's URI.
    package let uri: ATURI
    /// The record's CID.
    package let cid: CID
    /// The decoded record.
    package let value: LexValue
    /// When it was indexed (ISO-8601).
    package let indexedAt: String
    /// The moderation takedown reference, if taken down.
    package let takedownRef: String?
}

/// An indexed record without its value.
package struct RecordRow: Sendable, Equatable {
    /// The record's URI.
    package let uri: ATURI
    /// The record's CID.
    package let cid: CID
    /// The collection.
    package let collection: String
    /// The record key.
    package let rkey: String
    /// The revision of the commit that last wrote it.
    package let repoRev: String
    /// When it was indexed (ISO-8601).
    package let indexedAt: String
    /// The moderation takedown reference, if taken down.
    package let takedownRef: String?

    init(_ row: Row) throws {
        self.uri = try row.uri("uri", table: "record")
        self.cid = try row.cid("cid", table: "record")
        self.collection = try row.text("collection", table: "record")
        self.rkey = try row.text("rkey", table: "record")
        self.repoRev = try row.text("repoRev", table: "record")
        self.indexedAt = try row.text("indexedAt", table: "record")
        self.takedownRef = row["takedownRef"]
    }
}

/// Queries over one actor's `record` and `backlink` index (the reference's `RecordReader`).
package struct RecordReader {
    let db: Database

    init(db: Database) { self.db = db }

    /// The number of indexed records.
    package func recordCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM record") ?? 0
    }

    /// Every indexed record's URI and CID.
    package func listAll() throws -> [(uri: ATURI, cid: CID)] {
        try Row.fetchAll(db, sql: "SELECT uri, cid FROM record").map {
            (try $0.uri("uri", table: "record"), try $0.cid("cid", table: "record"))
        }
    }

    /// The collections that hold at least one record, in name order.
    package func listCollections() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT collection FROM record GROUP BY collection ORDER BY collection")
    }

    /// A page of a collection's records (`com.atproto.repo.listRecords`), newest record key first unless `reverse`.
    ///
    /// As in the reference, `cursor` (an rkey) takes precedence over the deprecated `rkeyStart`/`rkeyEnd` bounds,
    /// which are both exclusive.
    /// - Parameters:
    ///   - collection: the collection NSID.
    ///   - limit: the page size.
    ///   - reverse: oldest first when `true`.
    ///   - cursor: continue after this rkey.
    ///   - rkeyStart: only rkeys greater than this (when no cursor).
    ///   - rkeyEnd: only rkeys less than this (when no cursor).
    ///   - includeSoftDeleted: include taken-down records.
    package func listRecords(
        collection: String,
        limit: Int,
        reverse: Bool = false,
        cursor: String? = nil,
        rkeyStart: String? = nil,
        rkeyEnd: String? = nil,
        includeSoftDeleted: Bool = false
    ) throws -> [RecordListing] {
        var sql = """
            SELECT record.uri, record.cid, repo_block.content FROM record
            JOIN repo_block ON repo_block.cid = record.cid
            WHERE record.collection = ?
            """
        var arguments: StatementArguments = [collection]
        if !includeSoftDeleted { sql += " AND record.takedownRef IS NULL" }
        if let cursor {
            sql += reverse ? " AND record.rkey > ?" : " AND record.rkey < ?"
            arguments += [cursor]
        } else {
            if let rkeyStart {
                sql += " AND record.rkey > ?"
                arguments += [rkeyStart]
            }
            if let rkeyEnd {
                sql += " AND record.rkey < ?"
                arguments += [rkeyEnd]
            }
        }
        sql += reverse ? " ORDER BY record.rkey ASC" : " ORDER BY record.rkey DESC"
        sql += " LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            RecordListing(
                uri: try row.uri("uri", table: "record"),
                cid: try row.cid("cid", table: "record"),
                value: try DAGCBOR.decode(row.bytes("content", table: "repo_block"))
            )
        }
    }

    /// A record with its value, optionally only at a given CID.
    /// - Parameters:
    ///   - uri: the record.
    ///   - cid: the version wanted, or `nil` for the current one.
    ///   - includeSoftDeleted: return it even if taken down.
    package func getRecord(uri: ATURI, cid: CID? = nil, includeSoftDeleted: Bool = false) throws -> StoredRecord? {
        var sql = """
            SELECT record.uri, record.cid, record.indexedAt, record.takedownRef, repo_block.content FROM record
            JOIN repo_block ON repo_block.cid = record.cid
            WHERE record.uri = ?
            """
        var arguments: StatementArguments = [uri.rawValue]
        if !includeSoftDeleted { sql += " AND record.takedownRef IS NULL" }
        if let cid {
            sql += " AND record.cid = ?"
            arguments += [cid.description]
        }
        guard let row = try db.cachedRow(sql, arguments) else { return nil }
        return StoredRecord(
            uri: try row.uri("uri", table: "record"),
            cid: try row.cid("cid", table: "record"),
            value: try DAGCBOR.decode(row.bytes("content", table: "repo_block")),
            indexedAt: try row.text("indexedAt", table: "record"),
            takedownRef: row["takedownRef"]
        )
    }

    /// Whether a record is indexed, optionally at a given CID.
    /// - Parameters:
    ///   - uri: the record.
    ///   - cid: the version wanted, or `nil` for any.
    ///   - includeSoftDeleted: count it even if taken down.
    package func hasRecord(uri: ATURI, cid: CID? = nil, includeSoftDeleted: Bool = false) throws -> Bool {
        var sql = "SELECT EXISTS (SELECT 1 FROM record WHERE uri = ?"
        var arguments: StatementArguments = [uri.rawValue]
        if !includeSoftDeleted { sql += " AND takedownRef IS NULL" }
        if let cid {
            sql += " AND cid = ?"
            arguments += [cid.description]
        }
        sql += ")"
        return try db.cachedValue(Bool.self, sql, arguments) ?? false
    }

    /// The current CID of a record, taken down or not.
    /// - Parameters:
    ///   - uri: the record.
    package func currentRecordCID(uri: ATURI) throws -> CID? {
        guard let row = try Row.fetchOne(db, sql: "SELECT cid FROM record WHERE uri = ?", arguments: [uri.rawValue])
        else { return nil }
        return try row.cid("cid", table: "record")
    }

    /// Up to `limit` URIs of indexed records (taken down or not) whose CID is `cid`, as strings.
    /// - Parameters:
    ///   - cid: the record CID.
    ///   - limit: the most URIs returned.
    package func uris(withCID cid: CID, limit: Int) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(sql: "SELECT uri FROM record WHERE cid = ? LIMIT ?"),
            arguments: [cid.description, limit]
        )
    }

    /// The takedown reference of a record: `nil` if not indexed, `.some(nil)` if indexed and not taken down.
    /// - Parameters:
    ///   - uri: the record.
    package func takedownRef(uri: ATURI) throws -> String?? {
        guard
            let row = try db.cachedRow("SELECT takedownRef FROM record WHERE uri = ?", [uri.rawValue])
        else { return nil }
        return .some(row["takedownRef"])
    }

    /// Records of `collection` that link to `linkTo` at `path`.
    /// - Parameters:
    ///   - collection: the collection of the linking records.
    ///   - path: `subject` or `subject.uri`.
    ///   - linkTo: the DID or AT-URI linked to.
    package func backlinks(collection: String, path: String, linkTo: String) throws -> [RecordRow] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT record.* FROM record
                JOIN backlink ON backlink.uri = record.uri
                WHERE backlink.path = ? AND backlink.linkTo = ? AND record.collection = ?
                """,
            arguments: [path, linkTo, collection]
        ).map(RecordRow.init)
    }

    /// The existing records that make the same backlinks as `record` would at `uri` (a second follow of the same
    /// DID, a second like of the same post): what a write deletes to keep backlinks unique.
    /// - Parameters:
    ///   - uri: the new record's URI.
    ///   - record: its value.
    package func backlinkConflicts(uri: ATURI, record: LexValue) throws -> [ATURI] {
        guard let collection = uri.collection else { return [] }
        var conflicts: [ATURI] = []
        for link in Backlink.of(uri: uri, record: record) {
            conflicts += try backlinks(collection: collection.rawValue, path: link.path, linkTo: link.linkTo).map(\.uri)
        }
        return conflicts
    }
}
