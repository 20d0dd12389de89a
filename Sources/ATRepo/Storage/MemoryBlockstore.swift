import ATCore

/// In-memory `RepoStorage`, for tests, tools and partial trees built from a CAR slice.
///
/// - Note: A reference type: copies share the same blocks. Not `Sendable`; use it from one task.
package final class MemoryBlockstore: RepoStorage {
    private var blocks: [CID: [UInt8]] = [:]
    private var revs: [CID: TID] = [:]
    private var current: (cid: CID, rev: TID)?

    /// An empty store.
    package init() {}

    /// A store pre-filled with `blocks` (with no revision recorded for them).
    /// - Parameters:
    ///   - blocks: the initial blocks.
    package init(_ blocks: BlockMap) {
        for (cid, bytes) in blocks { self.blocks[cid] = bytes }
    }

    /// The number of blocks held.
    package var count: Int { blocks.count }

    /// Every stored CID, unordered.
    package var allCIDs: [CID] { Array(blocks.keys) }

    /// The revision that wrote a block, if it was written through ``putMany(_:rev:)``.
    /// - Parameters:
    ///   - cid: the block.
    package func rev(of cid: CID) -> TID? { revs[cid] }

    package func getBytes(_ cid: CID) throws -> [UInt8]? { blocks[cid] }

    package func has(_ cid: CID) throws -> Bool { blocks[cid] != nil }

    package func putMany(_ blocks: BlockMap, rev: TID) throws {
        for (cid, bytes) in blocks where self.blocks[cid] == nil {
            self.blocks[cid] = bytes
            revs[cid] = rev
        }
    }

    /// Adds blocks without a revision (a no-op for blocks already present).
    /// - Parameters:
    ///   - blocks: the blocks.
    package func put(_ blocks: BlockMap) {
        for (cid, bytes) in blocks where self.blocks[cid] == nil { self.blocks[cid] = bytes }
    }

    package func deleteMany(_ cids: [CID]) throws {
        for cid in cids {
            blocks[cid] = nil
            revs[cid] = nil
        }
    }

    package func getBlocks(writtenAfter rev: TID) throws -> BlockMap? {
        var result = BlockMap()
        for (cid, blockRev) in revs.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) where blockRev > rev {
            if let bytes = blocks[cid] { result.set(cid, bytes) }
        }
        return result
    }

    package func root() throws -> (cid: CID, rev: TID)? { current }

    package func updateRoot(_ cid: CID, rev: TID) throws { current = (cid, rev) }
}
