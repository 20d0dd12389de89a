import ATCore

extension MST {
    /// Adds the node blocks that prove `key`'s presence (and value) or absence in this tree, and that let a
    /// consumer holding only these blocks insert or remove `key` (the sync 1.1 "inductive firehose" proof).
    ///
    /// The set is every node on the search path of `key` down to the bottom of the tree and, where `key` is an
    /// entry, the right spine of the subtree just before it and the left spine of the subtree just after it (the
    /// nodes a removal merges). Together over all keys of a commit, these are exactly the nodes whose key range
    /// contains or is bounded by a written key, so the ops invert in any order.
    /// - Parameters:
    ///   - key: a repo path.
    ///   - blocks: receives the node blocks.
    package func addCoveringProof(for key: String, into blocks: inout BlockMap) throws {
        let key = Array(key.utf8)
        var node = root
        while true {
            blocks.set(node.cid, node.bytes)
            let (found, index) = node.search(key)
            if found {
                var spine = node.slot(index)
                while let link = spine {
                    let child = try load(link)
                    blocks.set(child.cid, child.bytes)
                    spine = child.lastSlot
                }
                spine = node.entries[index].right
                while let link = spine {
                    let child = try load(link)
                    blocks.set(child.cid, child.bytes)
                    spine = child.left
                }
                return
            }
            guard let next = node.slot(index) else { return }
            node = try load(next)
        }
    }

    /// The covering proof of several keys (see ``addCoveringProof(for:into:)``).
    /// - Parameters:
    ///   - keys: repo paths.
    package func coveringProof(for keys: some Sequence<String>) throws -> BlockMap {
        var blocks = BlockMap()
        for key in keys { try addCoveringProof(for: key, into: &blocks) }
        return blocks
    }
}
