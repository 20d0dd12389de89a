import ATCore

/// What changed between two versions of an MST.
package struct MSTDiff {
    /// A key present only in the new tree.
    package struct Add: Hashable, Sendable {
        package var key: String
        package var cid: CID
    }
    /// A key whose record CID changed.
    package struct Update: Hashable, Sendable {
        package var key: String
        package var prev: CID
        package var cid: CID
    }
    /// A key present only in the old tree.
    package struct Delete: Hashable, Sendable {
        package var key: String
        package var cid: CID
    }

    /// Keys added, in key order.
    package var adds: [Add] = []
    /// Keys whose value changed, in key order.
    package var updates: [Update] = []
    /// Keys removed, in key order.
    package var deletes: [Delete] = []
    /// Node blocks of the new tree that the old tree does not have (parents first).
    package var newNodes = BlockMap()
    /// Node CIDs of the old tree that the new tree no longer has.
    package var removedNodes: [CID] = []
}

extension MST {
    /// The difference between `old` and `new`, visiting only nodes that are not shared.
    ///
    /// Both trees are walked breadth-first one layer at a time. A subtree's CID fixes its layer, so a subtree that
    /// both trees share is met in both frontiers at the same layer and is skipped without being read.
    /// - Parameters:
    ///   - old: the earlier tree, or `nil` for "nothing" (every node and key of `new` is new).
    ///   - new: the later tree.
    package static func diff(from old: MST?, to new: MST) throws -> MSTDiff {
        var diff = MSTDiff()
        var newLeaves: [[UInt8]: CID] = [:]
        var oldLeaves: [[UInt8]: CID] = [:]
        var layer = max(new.layer, old?.layer ?? 0)
        var newFrontier: [CID: MSTLink] = [:]
        var oldFrontier: [CID: MSTLink] = [:]
        var newOrder: [CID] = []
        while layer >= 0 {
            if layer == new.layer {
                newFrontier[new.rootCID] = .node(new.root)
                newOrder.append(new.rootCID)
            }
            if let old, layer == old.layer { oldFrontier[old.rootCID] = .node(old.root) }
            for cid in newOrder where oldFrontier.removeValue(forKey: cid) != nil { newFrontier[cid] = nil }
            var nextNew: [CID: MSTLink] = [:]
            var nextOrder: [CID] = []
            for cid in newOrder {
                guard let link = newFrontier[cid] else { continue }
                let node = try new.load(link)
                diff.newNodes.set(cid, node.bytes)
                for entry in node.entries { newLeaves[entry.key] = entry.value }
                for index in 0...node.entries.count {
                    if let child = node.slot(index) {
                        let childCID = child.cid
                        nextNew[childCID] = child
                        nextOrder.append(childCID)
                    }
                }
            }
            var nextOld: [CID: MSTLink] = [:]
            if let old {
                for (cid, link) in oldFrontier {
                    let node = try old.load(link)
                    diff.removedNodes.append(cid)
                    for entry in node.entries { oldLeaves[entry.key] = entry.value }
                    for index in 0...node.entries.count {
                        if let child = node.slot(index) { nextOld[child.cid] = child }
                    }
                }
            }
            newFrontier = nextNew
            newOrder = nextOrder
            oldFrontier = nextOld
            layer -= 1
        }
        for (key, cid) in newLeaves {
            let name = String(decoding: key, as: UTF8.self)
            if let prev = oldLeaves[key] {
                if prev != cid { diff.updates.append(.init(key: name, prev: prev, cid: cid)) }
            } else {
                diff.adds.append(.init(key: name, cid: cid))
            }
        }
        for (key, cid) in oldLeaves where newLeaves[key] == nil {
            diff.deletes.append(.init(key: String(decoding: key, as: UTF8.self), cid: cid))
        }
        diff.adds.sort { $0.key < $1.key }
        diff.updates.sort { $0.key < $1.key }
        diff.deletes.sort { $0.key < $1.key }
        diff.removedNodes.sort()
        return diff
    }
}
