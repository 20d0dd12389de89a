import ATCore

extension MSTNode {
    /// Encodes `{l, e: [{p, k, v, t}]}` with keys prefix-compressed against the previous entry in the node.
    ///
    /// Written directly in canonical order (`e` before `l`; `k`, `p`, `t`, `v` in each entry) rather than through
    /// `LexValue` maps: every new node of every commit is encoded here.
    func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + entries.count * 80)
        DAGCBOR.appendHead(count: 2, isMap: true, into: &out)
        DAGCBOR.appendText("e", into: &out)
        DAGCBOR.appendHead(count: entries.count, isMap: false, into: &out)
        var previous: [UInt8] = []
        for entry in entries {
            let prefix = MST.commonPrefixLength(previous, entry.key)
            DAGCBOR.appendHead(count: 4, isMap: true, into: &out)
            DAGCBOR.appendText("k", into: &out)
            DAGCBOR.appendBytes(entry.key[prefix...], into: &out)
            DAGCBOR.appendText("p", into: &out)
            DAGCBOR.appendUnsigned(UInt64(prefix), into: &out)
            DAGCBOR.appendText("t", into: &out)
            DAGCBOR.appendLink(entry.right?.cid, into: &out)
            DAGCBOR.appendText("v", into: &out)
            DAGCBOR.appendLink(entry.value, into: &out)
            previous = entry.key
        }
        DAGCBOR.appendText("l", into: &out)
        DAGCBOR.appendLink(left?.cid, into: &out)
        return out
    }

    /// Decodes and checks a stored node: exact field set, valid links, sorted unique keys, no empty subtree links.
    ///
    /// The layer placement of keys is checked by the tree, which knows each node's depth.
    /// - Parameters:
    ///   - bytes: the block.
    ///   - cid: its CID.
    static func decode(_ bytes: [UInt8], cid: CID) throws(RepoError) -> MSTNode {
        let value: LexValue
        do { value = try DAGCBOR.decode(bytes) } catch { throw .invalidMST("node \(cid) is not DAG-CBOR: \(error)") }
        guard case .map(let map) = value, map.count == 2, let entriesValue = map["e"]?.array, let leftValue = map["l"]
        else { throw .invalidMST("node \(cid) must be {l, e}") }
        let left = try link(leftValue, in: cid)
        var entries: [MSTEntry] = []
        entries.reserveCapacity(entriesValue.count)
        var previous: [UInt8] = []
        for (index, entryValue) in entriesValue.enumerated() {
            guard case .map(let entry) = entryValue, entry.count == 4, let prefixValue = entry["p"]?.integer,
                let suffix = entry["k"]?.bytes, let recordCID = entry["v"]?.link, let rightValue = entry["t"]
            else { throw .invalidMST("node \(cid) entry \(index) must be {p, k, v, t}") }
            guard prefixValue >= 0, prefixValue <= Int64(previous.count) else {
                throw .invalidMST("node \(cid) entry \(index) has an invalid prefix length")
            }
            let prefix = Int(prefixValue)
            if index == 0, prefix != 0 { throw .invalidMST("node \(cid) first entry must have prefix 0") }
            let key = Array(previous[..<prefix]) + suffix
            // The prefix must be the longest shared one, or the encoding would not be canonical.
            if index > 0, MST.commonPrefixLength(previous, key) != prefix {
                throw .invalidMST("node \(cid) entry \(index) prefix is not maximal")
            }
            if index > 0, !keyPrecedes(previous, key) { throw .invalidMST("node \(cid) keys are not sorted") }
            entries.append(MSTEntry(key: key, value: recordCID, right: try link(rightValue, in: cid)))
            previous = key
        }
        return MSTNode(left: left, entries: entries, cid: cid, bytes: bytes)
    }

    private static func link(_ value: LexValue, in cid: CID) throws(RepoError) -> MSTLink? {
        switch value {
        case .null: return nil
        case .link(let child):
            guard child.codec == .dagCBOR else { throw .invalidMST("node \(cid) links to a non-dag-cbor subtree") }
            return .stored(child)
        default: throw .invalidMST("node \(cid) has a subtree pointer that is not a link")
        }
    }
}
