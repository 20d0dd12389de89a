import ATCore
import ATRepo
import Foundation
import GRDB

/// Read access to one actor's repository blocks: the root, blocks since a revision (for `getRepo?since=`), and all
/// blocks in pages (for CAR export).
package struct RepoReader {
    /// The block storage, for loading the MST and commits.
    package let storage: SQLRepoStorage
    var db: Database { storage.db }

    init(did: DID, db: Database) {
        self.storage = SQLRepoStorage(did: did, db: db)
    }

    /// The current commit CID and revision, or `nil` before the first commit.
    package func root() throws -> (cid: CID, rev: TID)? { try storage.root() }

    /// The number of stored blocks.
    package func blockCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM repo_block") ?? 0
    }

    /// The blocks written by commits after revision `since`, oldest revision first (the reference's
    /// `getBlocksSince`).
    /// - Parameters:
    ///   - since: an earlier revision.
    package func blocks(since: TID) throws -> BlockMap {
        try storage.getBlocks(writtenAfter: since) ?? BlockMap()
    }

    /// One page of all blocks in CID-string order, for streaming a full CAR.
    /// - Parameters:
    ///   - cursor: the last CID of the previous page, or `nil` to start.
    ///   - limit: the page size.
    /// - Returns: The blocks, and the cursor for the next page (`nil` when this was the last page).
    package func allBlocks(after cursor: CID?, limit: Int = 500) throws -> (blocks: BlockMap, next: CID?) {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT cid, content FROM repo_block WHERE cid > ? ORDER BY cid ASC LIMIT ?",
            arguments: [cursor?.description ?? "", limit]
        )
        var blocks = BlockMap()
        for row in rows {
            blocks.set(try row.cid("cid", table: "repo_block"), try row.bytes("content", table: "repo_block"))
        }
        return (blocks, rows.count < limit ? nil : blocks.cids.last)
    }
}
