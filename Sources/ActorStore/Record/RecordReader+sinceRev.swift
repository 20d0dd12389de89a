import ATCore
import GRDB

/// One of an actor's records written after a given revision (the reference's `RecordDescript`).
package struct LocalRecord: Sendable, Equatable {
    /// The record's URI.
    package let uri: ATURI
    /// The record's CID.
    package let cid: CID
    /// When it was indexed (ISO-8601).
    package let indexedAt: String
    /// The decoded record.
    package let value: LexValue

    /// Creates a record description.
    package init(uri: ATURI, cid: CID, indexedAt: String, value: LexValue) {
        self.uri = uri
        self.cid = cid
        self.indexedAt = indexedAt
        self.value = value
    }
}

/// An actor's records written after a revision an AppView reported, as read-after-write needs them (the
/// reference's `LocalRecords`).
package struct LocalRecords: Sendable, Equatable {
    /// How many records were read (every collection; at most the query's limit).
    package var count = 0
    /// The profile record (`app.bsky.actor.profile/self`), if it was among them.
    package var profile: LocalRecord?
    /// The posts among them, oldest revision first.
    package var posts: [LocalRecord] = []

    /// No records.
    package init() {}
}

extension RecordReader {
    /// The records written after `rev` (reference `getRecordsSinceRev`): at most `limit` of them, lowest revision
    /// first, with the profile and the posts decoded. Taken-down records are included, as in the reference.
    ///
    /// When no record is at or below `rev`, the revision predates everything this store holds (an account migrated
    /// here, say) and nothing is returned, as the reference's sanity check does.
    /// - Parameters:
    ///   - rev: the revision the AppView has seen (`atproto-repo-rev`).
    ///   - limit: the most records read (the reference's 10).
    package func recordsSinceRev(_ rev: String, limit: Int = 10) throws -> LocalRecords {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT record.uri, record.cid, record.indexedAt, repo_block.content FROM record
                    JOIN repo_block ON repo_block.cid = record.cid
                    WHERE record.repoRev > ? ORDER BY record.repoRev ASC LIMIT ?
                    """),
            arguments: [rev, limit])
        var result = LocalRecords()
        guard !rows.isEmpty else { return result }
        let older = try db.cachedValue(Bool.self, "SELECT EXISTS (SELECT 1 FROM record WHERE repoRev <= ?)", [rev])
        guard older == true else { return result }
        for row in rows {
            result.count += 1
            let uri = try row.uri("uri", table: "record")
            let collection = uri.collection?.rawValue
            let isProfile = collection == "app.bsky.actor.profile" && uri.recordKey?.rawValue == "self"
            guard isProfile || collection == "app.bsky.feed.post" else { continue }
            let record = LocalRecord(
                uri: uri, cid: try row.cid("cid", table: "record"),
                indexedAt: try row.text("indexedAt", table: "record"),
                value: try DAGCBOR.decode(row.bytes("content", table: "repo_block")))
            if isProfile { result.profile = record } else { result.posts.append(record) }
        }
        return result
    }

    /// The actor's current profile record (`app.bsky.actor.profile/self`), if any (reference `getProfileRecord`).
    package func profileRecord() throws -> LexValue? {
        guard
            let row = try db.cachedRow(
                """
                SELECT repo_block.content FROM record JOIN repo_block ON repo_block.cid = record.cid
                WHERE record.collection = 'app.bsky.actor.profile' AND record.rkey = 'self'
                """, [])
        else { return nil }
        return try DAGCBOR.decode(row.bytes("content", table: "repo_block"))
    }
}
