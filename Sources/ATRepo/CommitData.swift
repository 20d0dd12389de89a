import ATCore

/// The result of formatting a commit: everything storage and the firehose need.
package struct CommitData: Sendable {
    /// The new commit's CID.
    package var cid: CID
    /// The new commit's revision.
    package var rev: TID
    /// The previous revision (`nil` for the genesis commit).
    package var since: TID?
    /// The previous commit's CID (`nil` for the genesis commit).
    package var prev: CID?
    /// The new MST root.
    package var data: CID
    /// The previous MST root (`nil` for the genesis commit): the firehose `prevData`.
    package var prevData: CID?
    /// Every block this commit adds to storage: the commit, new MST nodes, new records.
    package var newBlocks: BlockMap
    /// The blocks a firehose consumer needs to check and invert the commit: the commit, the covering proof of
    /// every written key in the new tree, and the records created or updated.
    package var relevantBlocks: BlockMap
    /// Blocks that the new state no longer references: the previous commit, replaced MST nodes, and record blocks
    /// no written path
    /// refers to any more (see ``Repo/formatCommit(_:keypair:revs:revFloor:isRecordReferenced:)``).
    package var removedCIDs: [CID]
    /// The ops, in write order.
    package var ops: [RepoOp]

    /// The firehose `#commit.blocks` content: `newBlocks ∪ relevantBlocks`.
    package var firehoseBlocks: BlockMap {
        var blocks = relevantBlocks
        blocks.add(contentsOf: newBlocks)
        return blocks
    }

    /// The firehose `#commit.blocks` CAR: root = the commit, blocks = ``firehoseBlocks``.
    package func firehoseCAR() -> [UInt8] {
        CARWriter.serialize(roots: [cid], blocks: firehoseBlocks)
    }
}

extension RepoStorage {
    /// Stores a formatted commit: adds its new blocks, deletes its removed ones, and moves the root.
    /// - Parameters:
    ///   - commit: the result of `Repo.formatCommit` or `Repo.formatInitCommit`.
    package func applyCommit(_ commit: CommitData) throws {
        try putMany(commit.newBlocks, rev: commit.rev)
        if !commit.removedCIDs.isEmpty { try deleteMany(commit.removedCIDs) }
        try updateRoot(commit.cid, rev: commit.rev)
    }
}
