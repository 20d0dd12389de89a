import ATCore
import ATRepo
import GRDB

/// The blocks proving one record path at the current commit (`com.atproto.sync.getRecord`).
package struct RecordProof: Sendable {
    /// The current commit (the CAR's root).
    package let commit: CID
    /// The record's CID, or `nil` when the proof shows the path is empty.
    package let record: CID?
    /// The commit block, the MST nodes covering the path, and the record block if present.
    package let blocks: BlockMap

    /// The proof as a CAR file rooted at the commit.
    package func car() -> [UInt8] { CARWriter.serialize(roots: [commit], blocks: blocks) }
}

extension RepoReader {
    /// The repo at its current commit.
    /// - Throws: `RepoError.emptyRepo` before the genesis commit.
    package func load() throws -> Repo { try Repo.load(storage: storage) }

    /// The repo as CAR in memory (`com.atproto.sync.getRepo`): the whole repo, or with `since` only the blocks of
    /// later commits (ATRepo's ``Repo/exportCAR(since:)`` over ``SQLRepoStorage/getBlocks(writtenAfter:)``).
    /// - Parameters:
    ///   - since: the revision the consumer already has.
    package func exportCAR(since: TID? = nil) throws -> [UInt8] {
        let repo = try load()
        guard let since else { return try repo.exportCAR() }
        return try repo.exportCAR(since: since)
    }

    /// The repo as CAR chunks of about `chunkSize` bytes, for streaming a response while the read snapshot is held.
    ///
    /// The full export walks the tree (ATRepo's ``Repo/exportCAR(chunkSize:to:)``); the incremental one writes the
    /// current commit and then pages through `repo_block` by `(repoRev, cid)`, so neither holds the repo in memory.
    /// - Parameters:
    ///   - since: the revision the consumer already has, or `nil` for the whole repo.
    ///   - chunkSize: the flush threshold.
    ///   - sink: receives consecutive chunks (synchronously, inside the read transaction).
    package func exportCAR(
        since: TID?, chunkSize: Int = 64 * 1024, to sink: @escaping ([UInt8]) throws -> Void
    ) throws {
        let repo = try load()
        guard let since else { return try repo.exportCAR(chunkSize: chunkSize, to: sink) }
        var writer = CARWriter(roots: [repo.cid], flushThreshold: chunkSize, sink: sink)
        try writer.write(repo.cid, storage.bytes(repo.cid))
        var cursor = (rev: since.rawValue, cid: "")
        let page = 500
        let statement = try db.cachedStatement(
            sql: """
                SELECT cid, repoRev, content FROM repo_block
                WHERE repoRev > ? AND (repoRev, cid) > (?, ?)
                ORDER BY repoRev, cid LIMIT ?
                """
        )
        while true {
            let rows = try Row.fetchAll(statement, arguments: [since.rawValue, cursor.rev, cursor.cid, page])
            for row in rows {
                let cid = try row.cid("cid", table: "repo_block")
                if cid != repo.cid { try writer.write(cid, row.bytes("content", table: "repo_block")) }
                cursor = (try row.text("repoRev", table: "repo_block"), try row.text("cid", table: "repo_block"))
            }
            if rows.count < page { break }
        }
        _ = try writer.finish()
    }

    /// The blocks proving the record at `collection/rkey`, or its absence, at the current commit: the commit, the
    /// MST covering proof of the path (ATRepo's ``MST/addCoveringProof(for:into:)``, as the reference's
    /// `getRecords` uses), and the record.
    /// - Parameters:
    ///   - collection: the collection NSID.
    ///   - rkey: the record key.
    package func getRecordProof(collection: NSID, rkey: RecordKey) throws -> RecordProof {
        let repo = try load()
        let path = "\(collection.rawValue)/\(rkey.rawValue)"
        var blocks = BlockMap()
        blocks.set(repo.cid, try storage.bytes(repo.cid))
        try repo.data.addCoveringProof(for: path, into: &blocks)
        let record = try repo.data.get(path)
        if let record { blocks.set(record, try storage.bytes(record)) }
        return RecordProof(commit: repo.cid, record: record, blocks: blocks)
    }
}
