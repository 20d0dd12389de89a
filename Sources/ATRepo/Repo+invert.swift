import ATCore

extension Repo {
    /// Recomputes a commit's `prevData` by inverting its ops on the partial tree in its firehose blocks
    /// (sync 1.1): creates are removed, updates restored to `prev`, deletes re-added with `prev`, last op first.
    ///
    /// Only `blocks` are read, so this also checks that the commit carried every block its ops need.
    /// - Parameters:
    ///   - commitCID: the commit CID (the event's `commit`).
    ///   - blocks: the event's blocks.
    ///   - ops: the event's ops, with `cid` and `prev`.
    /// - Returns: the MST root before the commit.
    /// - Throws: `RepoError.missingBlock` for an insufficient proof; `.invalidCommit` for ops that do not match the
    ///   new tree.
    package static func invertCommit(commitCID: CID, blocks: BlockMap, ops: [RepoOp]) throws -> CID {
        let store = MemoryBlockstore(blocks)
        let commit = try Commit(bytes: store.bytes(commitCID))
        var tree = try MST.load(storage: store, root: commit.data)
        for op in ops.reversed() {
            let current = try tree.get(op.path)
            switch op.action {
            case .create:
                guard let cid = op.cid, current == cid, op.prev == nil else {
                    throw RepoError.invalidCommit("create \(op.path) does not match the tree")
                }
                tree = try tree.deleting(op.path)
            case .update:
                guard let cid = op.cid, let prev = op.prev, current == cid else {
                    throw RepoError.invalidCommit("update \(op.path) does not match the tree")
                }
                tree = try tree.updating(op.path, prev)
            case .delete:
                guard op.cid == nil, let prev = op.prev, current == nil else {
                    throw RepoError.invalidCommit("delete \(op.path) does not match the tree")
                }
                tree = try tree.adding(op.path, prev)
            }
        }
        return tree.rootCID
    }
}
