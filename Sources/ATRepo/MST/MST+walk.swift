import ATCore

extension MST {
    /// Visits entries in key order, from the first key `>= from` (or the start) to the last key `< upTo` (or the
    /// end), loading only the subtrees that overlap the range.
    /// - Parameters:
    ///   - from: the inclusive lower bound, if any.
    ///   - upTo: the exclusive upper bound, if any.
    ///   - body: receives each key and record CID; return `false` to stop.
    package func walk(from: String? = nil, upTo: String? = nil, _ body: (String, CID) throws -> Bool) throws {
        let lower = from.map { Array($0.utf8) }
        let upper = upTo.map { Array($0.utf8) }
        _ = try walk(root, lower: lower, upper: upper) { key, value in
            try body(String(decoding: key, as: UTF8.self), value)
        }
    }

    private func walk(
        _ node: MSTNode, lower: [UInt8]?, upper: [UInt8]?, _ body: ([UInt8], CID) throws -> Bool
    ) throws -> Bool {
        for index in 0...node.entries.count {
            // Gap `index` holds keys between entry index-1 and entry index.
            let gapEnd = index < node.entries.count ? node.entries[index].key : nil
            let gapStart = index > 0 ? node.entries[index - 1].key : nil
            let belowLower = lower.map { lower in gapEnd.map { !keyPrecedes(lower, $0) } ?? false } ?? false
            let aboveUpper = upper.map { upper in gapStart.map { !keyPrecedes($0, upper) } ?? false } ?? false
            if aboveUpper { return true }
            if !belowLower, let link = node.slot(index) {
                guard try walk(load(link), lower: lower, upper: upper, body) else { return false }
            }
            guard let gapEnd else { break }
            if let upper, !keyPrecedes(gapEnd, upper) { return true }
            if lower.map({ !keyPrecedes(gapEnd, $0) }) ?? true {
                guard try body(gapEnd, node.entries[index].value) else { return false }
            }
        }
        return true
    }

    /// Every key and record CID, in key order.
    package func entries() throws -> [(key: String, value: CID)] {
        var result: [(key: String, value: CID)] = []
        try walk { key, value in
            result.append((key, value))
            return true
        }
        return result
    }

    /// The entries whose key starts with `prefix` (for example `app.bsky.feed.post/`), in key order.
    /// - Parameters:
    ///   - prefix: the key prefix.
    ///   - limit: the most entries to return.
    package func entries(withPrefix prefix: String, limit: Int = .max) throws -> [(key: String, value: CID)] {
        var result: [(key: String, value: CID)] = []
        guard limit > 0 else { return result }
        try walk(from: prefix) { key, value in
            guard key.hasPrefix(prefix) else { return false }
            result.append((key, value))
            return result.count < limit
        }
        return result
    }

    /// The number of keys (walks the whole tree).
    package func leafCount() throws -> Int {
        var count = 0
        try walk { _, _ in
            count += 1
            return true
        }
        return count
    }

    /// Visits every node block, parents before children (pre-order, left to right).
    /// - Parameters:
    ///   - body: receives each node's CID and encoding, and its entries' record CIDs.
    package func forEachNode(_ body: (CID, [UInt8], [CID]) throws -> Void) throws {
        try forEachNode(root, body)
    }

    private func forEachNode(_ node: MSTNode, _ body: (CID, [UInt8], [CID]) throws -> Void) throws {
        try body(node.cid, node.bytes, node.entries.map(\.value))
        for index in 0...node.entries.count {
            if let link = node.slot(index) { try forEachNode(load(link), body) }
        }
    }
}
