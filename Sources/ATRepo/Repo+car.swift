import ATCore

extension Repo {
    /// Writes the whole repo as CAR v1: the commit first (the only root), then every MST node (parents first, left
    /// to right), then every record in key order; each block once.
    /// - Parameters:
    ///   - writer: a CAR writer whose root is ``cid``.
    /// - Throws: `RepoError.missingBlock` for an incomplete store.
    package func writeCAR(into writer: inout CARWriter) throws {
        try writer.write(cid, storage.bytes(cid))
        var records: [CID] = []
        var seen: Set<CID> = []
        try data.forEachNode { nodeCID, bytes, values in
            try writer.write(nodeCID, bytes)
            for value in values where seen.insert(value).inserted { records.append(value) }
        }
        let batch = 512
        var start = 0
        while start < records.count {
            let slice = Array(records[start..<min(start + batch, records.count)])
            let (blocks, missing) = try storage.getBlocks(slice)
            if let first = missing.first { throw RepoError.missingBlock(first) }
            for cid in slice { try writer.write(cid, blocks[cid]!) }
            start += batch
        }
    }

    /// The whole repo as a CAR file in memory (see ``writeCAR(into:)``).
    package func exportCAR() throws -> [UInt8] {
        var writer = CARWriter(roots: [cid], capacity: 64 * 1024)
        try writeCAR(into: &writer)
        return try writer.finish()
    }

    /// The repo streamed as CAR chunks of about `chunkSize` bytes (see ``writeCAR(into:)``).
    /// - Parameters:
    ///   - chunkSize: the flush threshold.
    ///   - sink: receives consecutive chunks.
    package func exportCAR(chunkSize: Int = 64 * 1024, to sink: @escaping ([UInt8]) throws -> Void) throws {
        var writer = CARWriter(roots: [cid], flushThreshold: chunkSize, sink: sink)
        try writeCAR(into: &writer)
        _ = try writer.finish()
    }

    /// The blocks written after revision `since`, as CAR with the current commit first (`getRepo?since=`).
    ///
    /// When the store does not track revisions per block (``RepoStorage/getBlocks(writtenAfter:)`` returns `nil`),
    /// this is the full export: a superset, which consumers must accept.
    /// - Parameters:
    ///   - since: the revision the consumer already has.
    package func exportCAR(since: TID) throws -> [UInt8] {
        guard let blocks = try storage.getBlocks(writtenAfter: since) else { return try exportCAR() }
        var writer = CARWriter(roots: [cid], capacity: blocks.byteSize + 1024)
        try writer.write(cid, storage.bytes(cid))
        for (blockCID, bytes) in blocks where blockCID != cid { try writer.write(blockCID, bytes) }
        return try writer.finish()
    }
}
