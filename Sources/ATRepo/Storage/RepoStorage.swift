import ATCore

/// Synchronous block storage for one repository: the seam between the repo logic (MST, commits) and where
/// blocks live (memory in tests, the actor's SQLite file in the server).
///
/// Implementations are used from inside one transaction at a time and need not be `Sendable`.
package protocol RepoStorage {
    /// The bytes of a block, or `nil` when it is not stored.
    func getBytes(_ cid: CID) throws -> [UInt8]?
    /// Whether a block is stored.
    func has(_ cid: CID) throws -> Bool
    /// The blocks found among `cids`, and the CIDs that are missing.
    func getBlocks(_ cids: [CID]) throws -> (blocks: BlockMap, missing: [CID])
    /// Stores blocks written by the commit with revision `rev` (already-present blocks are kept).
    func putMany(_ blocks: BlockMap, rev: TID) throws
    /// Deletes blocks.
    func deleteMany(_ cids: [CID]) throws
    /// The current commit CID and revision, or `nil` for an empty store.
    func root() throws -> (cid: CID, rev: TID)?
    /// Records a new commit as the current root.
    func updateRoot(_ cid: CID, rev: TID) throws
    /// The blocks written by commits with a revision greater than `rev` (for `getRepo?since=`), or `nil` when the
    /// store does not track revisions per block. Has a default (`nil`), so conformers may omit it.
    func getBlocks(writtenAfter rev: TID) throws -> BlockMap?
}

extension RepoStorage {
    /// The bytes of a block that must exist.
    /// - Throws: `RepoError.missingBlock` when it does not.
    package func bytes(_ cid: CID) throws -> [UInt8] {
        guard let bytes = try getBytes(cid) else { throw RepoError.missingBlock(cid) }
        return bytes
    }

    /// A block decoded as DAG-CBOR.
    package func value(_ cid: CID) throws -> LexValue {
        try DAGCBOR.decode(bytes(cid))
    }

    /// Default: looks blocks up one by one.
    package func getBlocks(_ cids: [CID]) throws -> (blocks: BlockMap, missing: [CID]) {
        var blocks = BlockMap()
        var missing: [CID] = []
        for cid in cids {
            if let bytes = try getBytes(cid) { blocks.set(cid, bytes) } else { missing.append(cid) }
        }
        return (blocks, missing)
    }

    /// Default: revisions are not tracked.
    package func getBlocks(writtenAfter rev: TID) throws -> BlockMap? { nil }

    /// Default: whether `getBytes` finds it.
    package func has(_ cid: CID) throws -> Bool { try getBytes(cid) != nil }
}
