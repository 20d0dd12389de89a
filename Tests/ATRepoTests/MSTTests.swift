import ATCore
import Testing

@testable import ATRepo

@Suite struct MSTTests {
    @Test(arguments: [
        "app.bsky.feed.post/3jqfcqzm3fo2j", "coll/key0", "coll/key_", "coll/key:", "coll/key.", "coll/key-", "coll/k~",
        "A0/374913",
    ])
    func validKeys(_ key: String) { #expect(MST.isValidKey(key)) }

    @Test(arguments: [
        "", "nocollection", "/rkey", "coll/", "a/b/c", "coll/key$", "coll/key%", "coll/key(", "coll/key)",
        "coll/key+", "coll/key=", "coll/ke y", "coll/é", "./rkey", "coll/..",
        String(repeating: "a", count: 1020) + "/abcd",
    ])
    func invalidKeys(_ key: String) {
        #expect(!MST.isValidKey(key))
        #expect(throws: RepoError.self) { try MST(storage: MemoryBlockstore()).adding(key, TestRepo.cid(1)) }
    }

    @Test func keyLengthLimit() {
        #expect(MST.isValidKey(String(repeating: "a", count: 1019) + "/abcd"))
    }

    @Test func getAddUpdateDelete() throws {
        var tree = MST(storage: MemoryBlockstore())
        let key = "app.bsky.feed.post/3jqfcqzm3fo2j"
        #expect(try tree.get(key) == nil)
        tree = try tree.adding(key, TestRepo.cid(1))
        #expect(try tree.get(key) == TestRepo.cid(1))
        #expect(throws: RepoError.recordExists(key)) { try tree.adding(key, TestRepo.cid(2)) }
        tree = try tree.updating(key, TestRepo.cid(2))
        #expect(try tree.get(key) == TestRepo.cid(2))
        tree = try tree.deleting(key)
        #expect(try tree.get(key) == nil)
        #expect(tree.isEmpty)
        #expect(throws: RepoError.recordNotFound(key)) { try tree.deleting(key) }
        #expect(throws: RepoError.recordNotFound(key)) { try tree.updating(key, TestRepo.cid(3)) }
        #expect(tree.rootCID == MST(storage: MemoryBlockstore()).rootCID)
    }

    /// Random keys, a dictionary model, and every structural property after each step.
    @Test(arguments: 0..<6)
    func matchesModel(seed: Int) throws {
        var rng = SeededRNG(seed: UInt64(seed))
        var tree = MST(storage: MemoryBlockstore())
        var model: [String: CID] = [:]
        for step in 0..<600 {
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll < 6 || model.isEmpty {
                let key = "\(TestRepo.collections.randomElement(using: &rng)!)/\(TestRepo.randomRKey(using: &rng))"
                tree = try tree.adding(key, TestRepo.cid(step))
                model[key] = TestRepo.cid(step)
            } else if roll < 8 {
                let key = model.keys.sorted().randomElement(using: &rng)!
                tree = try tree.updating(key, TestRepo.cid(step))
                model[key] = TestRepo.cid(step)
            } else {
                let key = model.keys.sorted().randomElement(using: &rng)!
                tree = try tree.deleting(key)
                model[key] = nil
            }
        }
        let entries = try tree.entries()
        #expect(entries.map(\.key) == model.keys.sorted())
        #expect(entries.allSatisfy { model[$0.key] == $0.value })
        for (key, value) in model { #expect(try tree.get(key) == value) }
        // Built from scratch in sorted order, the same content must give the same root.
        let fresh = try TestRepo.tree(model.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        #expect(fresh.rootCID == tree.rootCID)
        // And the stored form passes the canonical-structure checks of the verifier.
        let store = MemoryBlockstore()
        store.put(try MST.diff(from: nil, to: tree).newNodes)
        let reloaded = try MST.load(storage: store, root: tree.rootCID)
        #expect(try reloaded.entries().map(\.key) == model.keys.sorted())
    }

    /// Random writes applied one by one, in shuffled order, or in persisted batches give one root.
    @Test(arguments: 0..<5)
    func orderAndBatchingDoNotMatter(seed: Int) throws {
        var rng = SeededRNG(seed: UInt64(100 + seed))
        var final: [String: CID] = [:]
        var history: [(String, CID?)] = []
        for step in 0..<500 {
            if Int.random(in: 0..<4, using: &rng) == 0, let key = final.keys.sorted().randomElement(using: &rng) {
                final[key] = nil
                history.append((key, nil))
            } else {
                let key = "\(TestRepo.collections.randomElement(using: &rng)!)/\(TestRepo.randomRKey(using: &rng))"
                final[key] = TestRepo.cid(step)
                history.append((key, TestRepo.cid(step)))
            }
        }
        // 1. history in order, in memory.
        var a = MST(storage: MemoryBlockstore())
        for (key, value) in history {
            if let value {
                a = try a.get(key) == nil ? a.adding(key, value) : a.updating(key, value)
            } else {
                a = try a.deleting(key)
            }
        }
        // 2. final content in a random order.
        let b = try TestRepo.tree(final.map { ($0.key, $0.value) }.shuffled(using: &rng))
        // 3. history in random-size batches, persisting and reloading from storage between batches.
        let store = MemoryBlockstore()
        var c = MST(storage: store)
        var index = 0
        while index < history.count {
            let size = Int.random(in: 1...40, using: &rng)
            for (key, value) in history[index..<min(index + size, history.count)] {
                if let value {
                    c = try c.get(key) == nil ? c.adding(key, value) : c.updating(key, value)
                } else {
                    c = try c.deleting(key)
                }
            }
            let before = c
            store.put(try MST.diff(from: nil, to: before).newNodes)
            c = try MST.load(storage: store, root: before.rootCID)
            index += size
        }
        #expect(a.rootCID == b.rootCID)
        #expect(a.rootCID == c.rootCID)
        #expect(try c.leafCount() == final.count)
    }

    @Test func rangeWalks() throws {
        let keys = (0..<200).map { "com.example.record/k" + String(String(10000 + $0).dropFirst()) }
        let tree = try TestRepo.tree(keys.map { ($0, TestRepo.cid(1)) })
        var seen: [String] = []
        try tree.walk(from: keys[50], upTo: keys[120]) { key, _ in
            seen.append(key)
            return true
        }
        #expect(seen == Array(keys[50..<120]))
        seen = []
        try tree.walk(from: "com.example.record/k0100x") { key, _ in
            seen.append(key)
            return seen.count < 5
        }
        #expect(seen == Array(keys[101..<106]))
        #expect(
            try tree.entries(withPrefix: "com.example.record/k01", limit: 1000).map(\.key) == Array(keys[100..<200]))
        #expect(try tree.entries(withPrefix: "com.example.other/").isEmpty)
        #expect(try tree.leafCount() == 200)
    }

    @Test func diffReportsChanges() throws {
        let store = MemoryBlockstore()
        let keys = (0..<300).map { "com.example.record/k\($0)" }
        let old = try TestRepo.tree(keys.map { ($0, TestRepo.cid(0)) }, storage: store)
        store.put(try MST.diff(from: nil, to: old).newNodes)
        let base = try MST.load(storage: store, root: old.rootCID)
        var new = try base.adding("com.example.record/new", TestRepo.cid(1))
        new = try new.updating(keys[10], TestRepo.cid(2))
        new = try new.deleting(keys[20])
        let diff = try MST.diff(from: base, to: new)
        #expect(diff.adds == [.init(key: "com.example.record/new", cid: TestRepo.cid(1))])
        #expect(diff.updates == [.init(key: keys[10], prev: TestRepo.cid(0), cid: TestRepo.cid(2))])
        #expect(diff.deletes == [.init(key: keys[20], cid: TestRepo.cid(0))])
        // Applying the diff's blocks to the old store makes the new tree complete; removed nodes are all unused.
        store.put(diff.newNodes)
        let reloaded = try MST.load(storage: store, root: new.rootCID)
        var used: Set<CID> = []
        try reloaded.forEachNode { cid, _, _ in used.insert(cid) }
        #expect(used.isDisjoint(with: diff.removedNodes))
        #expect(diff.newNodes.cids.allSatisfy(used.contains))
        #expect(try reloaded.leafCount() == 300)
        // Nothing changed → empty diff.
        let same = try MST.diff(from: base, to: base)
        #expect(same.adds.isEmpty && same.updates.isEmpty && same.deletes.isEmpty && same.newNodes.isEmpty)
    }
}
