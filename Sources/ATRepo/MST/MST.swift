import ATCore

/// A Merkle Search Tree (atproto repository spec): a deterministic, content-addressed map from repo paths
/// (`collection/rkey`) to record CIDs.
///
/// The tree is a persistent value: mutations return new versions that share every untouched node with the old one.
/// Nodes load lazily from storage, a mutation costs O(log n) new nodes, and CIDs are computed only for nodes that
/// changed, when a CID is first asked for.
///
/// - Note: Not `Sendable`: it reads through a `RepoStorage` that belongs to one transaction.
package struct MST {
    /// Where stored nodes are read from.
    let storage: any RepoStorage
    /// The root node (the empty node for an empty tree).
    private(set) var root: MSTNode
    /// The root's layer: the highest key depth (0 for an empty tree).
    package private(set) var layer: Int
    /// Decoded nodes by CID, shared by every version derived from this tree.
    let cache: MSTNodeCache

    /// An empty tree.
    /// - Parameters:
    ///   - storage: where subtrees are read from (and later written to by the caller).
    package init(storage: any RepoStorage) {
        self.storage = storage
        self.root = .empty
        self.layer = 0
        self.cache = MSTNodeCache()
    }

    /// Loads the tree whose root node is `root`.
    ///
    /// Only the root is read now; other nodes are read when first needed.
    /// - Parameters:
    ///   - storage: where the nodes are.
    ///   - root: the root node's CID (a commit's `data`).
    /// - Throws: `RepoError.missingBlock` or `.invalidMST` for a bad root.
    package static func load(storage: any RepoStorage, root: CID) throws -> MST {
        var tree = MST(storage: storage)
        let node = try tree.cache.load(root, from: storage)
        if let first = node.entries.first {
            tree.layer = MST.layer(of: first.key)
        } else if node.left != nil {
            throw RepoError.invalidMST("root \(root) has no entries but a subtree (the top must be trimmed)")
        }
        tree.root = node
        return tree
    }

    /// The root CID (the commit's `data` field).
    package var rootCID: CID { root.cid }

    /// Whether the tree holds no keys.
    package var isEmpty: Bool { root.isEmpty }

    /// Reads the node behind a link.
    func load(_ link: MSTLink) throws -> MSTNode {
        switch link {
        case .node(let node): node
        case .stored(let cid): try cache.load(cid, from: storage)
        }
    }

    // MARK: - Lookup

    /// The record CID stored under `key`, or `nil`.
    /// - Parameters:
    ///   - key: a repo path.
    package func get(_ key: String) throws -> CID? {
        let key = Array(key.utf8)
        let keyLayer = MST.layer(of: key)
        guard keyLayer <= layer else { return nil }
        var node = root
        var nodeLayer = layer
        while true {
            let (found, index) = node.search(key)
            if found { return node.entries[index].value }
            guard nodeLayer > keyLayer, let next = node.slot(index) else { return nil }
            node = try load(next)
            nodeLayer -= 1
        }
    }

    // MARK: - Mutation

    /// A new tree with `key` added.
    /// - Parameters:
    ///   - key: a repo path not yet in the tree.
    ///   - value: the record CID.
    /// - Throws: `RepoError.invalidKey`, `.recordExists`, or storage errors.
    package func adding(_ key: String, _ value: CID) throws -> MST {
        let bytes = Array(key.utf8)
        try MST.validateKey(bytes)
        guard try get(key) == nil else { throw RepoError.recordExists(key) }
        return try setting(bytes, value)
    }

    /// A new tree with `key` pointing at `value`.
    /// - Parameters:
    ///   - key: a repo path already in the tree.
    ///   - value: the new record CID.
    /// - Throws: `RepoError.recordNotFound`, or storage errors.
    package func updating(_ key: String, _ value: CID) throws -> MST {
        let bytes = Array(key.utf8)
        guard try get(key) != nil else { throw RepoError.recordNotFound(key) }
        return try setting(bytes, value)
    }

    /// A new tree without `key`.
    /// - Parameters:
    ///   - key: a repo path in the tree.
    /// - Throws: `RepoError.recordNotFound`, or storage errors.
    package func deleting(_ key: String) throws -> MST {
        let bytes = Array(key.utf8)
        let keyLayer = MST.layer(of: bytes)
        guard keyLayer <= layer, let newRoot = try remove(bytes, keyLayer: keyLayer, from: root, layer: layer)
        else { throw RepoError.recordNotFound(key) }
        var tree = self
        tree.root = newRoot ?? .empty
        if newRoot == nil { tree.layer = 0 }
        // Trim the top: the root must hold entries unless the tree is empty.
        while tree.root.entries.isEmpty, let left = tree.root.left {
            tree.root = try load(left)
            tree.layer -= 1
        }
        return tree
    }

    /// Inserts or replaces `key` without validation or existence checks.
    func setting(_ key: [UInt8], _ value: CID) throws -> MST {
        let keyLayer = MST.layer(of: key)
        var tree = self
        if keyLayer > layer {
            // Grow: split the current tree around the key and stack empty nodes up to the new top layer.
            var (lower, upper) = try split(root.isEmpty ? nil : .node(root), layer: layer, at: key)
            for _ in (layer + 1)..<keyLayer {
                lower = lower.map { .node(MSTNode(left: $0, entries: [])) }
                upper = upper.map { .node(MSTNode(left: $0, entries: [])) }
            }
            tree.root = MSTNode(left: lower, entries: [MSTEntry(key: key, value: value, right: upper)])
            tree.layer = keyLayer
        } else {
            tree.root = try insert(key, value, keyLayer: keyLayer, into: root, layer: layer)
        }
        return tree
    }

    private func insert(_ key: [UInt8], _ value: CID, keyLayer: Int, into node: MSTNode?, layer: Int) throws -> MSTNode
    {
        guard let node else {
            if keyLayer == layer { return MSTNode(left: nil, entries: [MSTEntry(key: key, value: value, right: nil)]) }
            let child = try insert(key, value, keyLayer: keyLayer, into: nil, layer: layer - 1)
            return MSTNode(left: .node(child), entries: [])
        }
        let (found, index) = node.search(key)
        if keyLayer == layer {
            var entries = node.entries
            if found {
                if entries[index].value == value { return node }
                entries[index].value = value
                return MSTNode(left: node.left, entries: entries)
            }
            let (lower, upper) = try split(node.slot(index), layer: layer - 1, at: key)
            entries.insert(MSTEntry(key: key, value: value, right: upper), at: index)
            return MSTNode(left: node.left, entries: entries).replacingSlot(index, with: lower)
        }
        let child = try node.slot(index).map { try load($0) }
        let newChild = try insert(key, value, keyLayer: keyLayer, into: child, layer: layer - 1)
        return node.replacingSlot(index, with: .node(newChild))
    }

    /// Splits a subtree of `layer` into the keys before and after `key` (which is not in it).
    private func split(_ link: MSTLink?, layer: Int, at key: [UInt8]) throws -> (MSTLink?, MSTLink?) {
        guard let link else { return (nil, nil) }
        let node = try load(link)
        let (_, index) = node.search(key)
        let (lower, upper) = layer > 0 ? try split(node.slot(index), layer: layer - 1, at: key) : (nil, nil)
        var leftEntries = Array(node.entries[..<index])
        var leftLink = node.left
        if index == 0 { leftLink = lower } else { leftEntries[index - 1].right = lower }
        let leftNode = MSTNode(left: leftLink, entries: leftEntries)
        let rightNode = MSTNode(left: upper, entries: Array(node.entries[index...]))
        return (leftNode.isEmpty ? nil : .node(leftNode), rightNode.isEmpty ? nil : .node(rightNode))
    }

    /// Removes `key`; `nil` when absent, `.some(nil)` when the subtree became empty.
    private func remove(_ key: [UInt8], keyLayer: Int, from node: MSTNode, layer: Int) throws -> MSTNode?? {
        let (found, index) = node.search(key)
        let result: MSTNode
        if keyLayer == layer {
            guard found else { return nil }
            let merged = try merge(node.slot(index), node.entries[index].right, layer: layer - 1)
            var entries = node.entries
            entries.remove(at: index)
            result = MSTNode(left: node.left, entries: entries).replacingSlot(index, with: merged)
        } else {
            guard let child = node.slot(index),
                let newChild = try remove(key, keyLayer: keyLayer, from: load(child), layer: layer - 1)
            else { return nil }
            result = node.replacingSlot(index, with: newChild.map { .node($0) })
        }
        return .some(result.isEmpty ? nil : result)
    }

    /// Joins two adjacent subtrees of `layer` (every key of `lhs` sorts before every key of `rhs`).
    private func merge(_ lhs: MSTLink?, _ rhs: MSTLink?, layer: Int) throws -> MSTLink? {
        guard let lhs else { return rhs }
        guard let rhs else { return lhs }
        let leftNode = try load(lhs)
        let rightNode = try load(rhs)
        let middle = try merge(leftNode.lastSlot, rightNode.left, layer: layer - 1)
        var entries = leftNode.entries
        var left = leftNode.left
        if entries.isEmpty { left = middle } else { entries[entries.count - 1].right = middle }
        entries.append(contentsOf: rightNode.entries)
        return .node(MSTNode(left: left, entries: entries))
    }
}

/// Decoded MST nodes by CID, so a node is parsed once per transaction however often it is visited.
final class MSTNodeCache {
    private var nodes: [CID: MSTNode] = [:]

    /// Returns the cached node or reads, decodes and caches it.
    func load(_ cid: CID, from storage: any RepoStorage) throws -> MSTNode {
        if let node = nodes[cid] { return node }
        let node = try MSTNode.decode(storage.bytes(cid), cid: cid)
        nodes[cid] = node
        return node
    }
}
