import ATCore
import ATRepo
import Foundation
import GRDB

/// ATRepo's block storage over one actor's `repo_block` and `repo_root` tables.
///
/// Rows use the reference's formats: CIDs as their base32 string, block bytes as a BLOB with their `size`, the
/// revision of the commit that introduced the block in `repoRev`. It lives inside one reader or transactor; in a
/// reader the connection is read-only and the write methods fail.
package struct SQLRepoStorage: RepoStorage {
    /// The actor (the `repo_root` key).
    package let did: DID
    let db: Database

    init(did: DID, db: Database) {
        self.did = did
        self.db = db
    }

    package func getBytes(_ cid: CID) throws -> [UInt8]? {
        let data = try db.cachedValue(Data.self, "SELECT content FROM repo_block WHERE cid = ?", [cid.description])
        return data.map { Array($0) }
    }

    package func has(_ cid: CID) throws -> Bool {
        try db.cachedValue(Bool.self, "SELECT EXISTS (SELECT 1 FROM repo_block WHERE cid = ?)", [cid.description])
            ?? false
    }

    package func getBlocks(_ cids: [CID]) throws -> (blocks: BlockMap, missing: [CID]) {
        var found: [CID: [UInt8]] = [:]
        var start = 0
        while start < cids.count {
            let chunk = cids[start..<min(start + sqlChunkSize, cids.count)]
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT cid, content FROM repo_block WHERE cid IN (\(placeholders(chunk.count)))",
                arguments: StatementArguments(chunk.map(\.description))
            )
            while let row = try rows.next() {
                found[try row.cid("cid", table: "repo_block")] = try row.bytes("content", table: "repo_block")
            }
            start += sqlChunkSize
        }
        var blocks = BlockMap()
        var missing: [CID] = []
        for cid in cids {
            if let bytes = found[cid] { blocks.set(cid, bytes) } else { missing.append(cid) }
        }
        return (blocks, missing)
    }

    package func putMany(_ blocks: BlockMap, rev: TID) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO repo_block (cid, repoRev, size, content) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
        )
        for (cid, bytes) in blocks {
            try statement.execute(arguments: [cid.description, rev.rawValue, bytes.count, Data(bytes)])
        }
    }

    /// Stores blocks known to be good (their hashes checked by the caller), overwriting the bytes of any stored
    /// block with the same CID but keeping its revision: recovery repairs corrupted blocks this way.
    package func restoreMany(_ blocks: BlockMap, rev: TID) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO repo_block (cid, repoRev, size, content) VALUES (?, ?, ?, ?)
                ON CONFLICT (cid) DO UPDATE SET size = excluded.size, content = excluded.content
                """
        )
        for (cid, bytes) in blocks {
            try statement.execute(arguments: [cid.description, rev.rawValue, bytes.count, Data(bytes)])
        }
    }

    /// Deletes every block and the root (a repo import replaces them).
    package func deleteAll() throws {
        try db.execute(sql: "DELETE FROM repo_block")
        try db.execute(sql: "DELETE FROM repo_root")
    }

    package func deleteMany(_ cids: [CID]) throws {
        var start = 0
        while start < cids.count {
            let chunk = cids[start..<min(start + sqlChunkSize, cids.count)]
            try db.execute(
                sql: "DELETE FROM repo_block WHERE cid IN (\(placeholders(chunk.count)))",
                arguments: StatementArguments(chunk.map(\.description))
            )
            start += sqlChunkSize
        }
    }

    /// The blocks of commits after `rev` (`repoRev > rev`), oldest revision first; never `nil`, since every row
    /// carries its revision. Makes ``Repo/exportCAR(since:)`` incremental.
    package func getBlocks(writtenAfter rev: TID) throws -> BlockMap? {
        var blocks = BlockMap()
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT cid, content FROM repo_block WHERE repoRev > ? ORDER BY repoRev, cid"),
            arguments: [rev.rawValue]
        )
        while let row = try rows.next() {
            blocks.set(try row.cid("cid", table: "repo_block"), try row.bytes("content", table: "repo_block"))
        }
        return blocks
    }

    package func root() throws -> (cid: CID, rev: TID)? {
        guard
            let row = try db.cachedRow("SELECT cid, rev FROM repo_root WHERE did = ?", [did.rawValue])
        else { return nil }
        return (try row.cid("cid", table: "repo_root"), try row.tid("rev", table: "repo_root"))
    }

    package func updateRoot(_ cid: CID, rev: TID) throws {
        try db.cachedExecute(
            """
            INSERT INTO repo_root (did, cid, rev, indexedAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (did) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexedAt = excluded.indexedAt
            """,
            [did.rawValue, cid.description, rev.rawValue, Datetime.now().rawValue]
        )
    }
}
