import ATCore

/// A pointer to an MST subtree: either a node only known by CID (still in storage) or a node held in memory.
enum MSTLink {
    /// A node that has not been loaded; its content is in storage.
    case stored(CID)
    /// A node held in memory (loaded, or built by a mutation).
    case node(MSTNode)

    /// The subtree's CID (computed, and cached, for in-memory nodes).
    var cid: CID {
        switch self {
        case .stored(let cid): cid
        case .node(let node): node.cid
        }
    }
}

/// One key/value pair in a node, with the subtree that sorts after it (up to the next entry).
struct MSTEntry {
    /// The full key bytes.
    var key: [UInt8]
    /// The record CID.
    var value: CID
    /// The subtree between this key and the next entry's key.
    var right: MSTLink?
}

/// An immutable MST node: a left subtree, then sorted entries each followed by a subtree.
///
/// Nodes are shared between tree versions; a mutation builds new nodes along the changed paths only. The CID and
/// encoding are computed at most once per node, on demand, so untouched subtrees are never re-serialized.
final class MSTNode {
    /// The subtree sorting before every entry.
    let left: MSTLink?
    /// The entries in ascending key order.
    let entries: [MSTEntry]
    private var cachedCID: CID?
    private var cachedBytes: [UInt8]?

    /// A node built in memory.
    init(left: MSTLink?, entries: [MSTEntry]) {
        self.left = left
        self.entries = entries
    }

    /// A node decoded from storage, whose CID and bytes are already known.
    init(left: MSTLink?, entries: [MSTEntry], cid: CID, bytes: [UInt8]) {
        self.left = left
        self.entries = entries
        self.cachedCID = cid
        self.cachedBytes = bytes
    }

    /// The empty node: the root of an empty tree.
    static var empty: MSTNode { MSTNode(left: nil, entries: []) }

    /// Whether the node holds nothing at all (no entries, no subtree).
    var isEmpty: Bool { entries.isEmpty && left == nil }

    /// The DAG-CBOR encoding (cached).
    var bytes: [UInt8] {
        if let cachedBytes { return cachedBytes }
        let bytes = encode()
        cachedBytes = bytes
        return bytes
    }

    /// The node's CID (cached).
    var cid: CID {
        if let cachedCID { return cachedCID }
        let cid = CID.dagCBOR(hashing: bytes)
        cachedCID = cid
        return cid
    }

    /// The subtree in gap `index`: `0` is `left`, `i > 0` is the right subtree of entry `i - 1`.
    func slot(_ index: Int) -> MSTLink? {
        index == 0 ? left : entries[index - 1].right
    }

    /// The subtree after the last entry (or `left` when there are no entries).
    var lastSlot: MSTLink? { slot(entries.count) }

    /// Binary search: whether `key` is an entry, and its index or the gap it would fall in.
    func search(_ key: [UInt8]) -> (found: Bool, index: Int) {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let midKey = entries[mid].key
            if midKey == key { return (true, mid) }
            if keyPrecedes(midKey, key) { low = mid + 1 } else { high = mid }
        }
        return (false, low)
    }

    /// A copy with gap `index` pointing at `link`.
    func replacingSlot(_ index: Int, with link: MSTLink?) -> MSTNode {
        if index == 0 { return MSTNode(left: link, entries: entries) }
        var entries = entries
        entries[index - 1].right = link
        return MSTNode(left: left, entries: entries)
    }
}
