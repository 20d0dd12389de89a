import Testing

@testable import ActorStore

@Suite struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsed() {
        var cache = LRUCache<String, Int>(capacity: 3)
        #expect(cache.insert(1, forKey: "a").isEmpty)
        #expect(cache.insert(2, forKey: "b").isEmpty)
        #expect(cache.insert(3, forKey: "c").isEmpty)
        let evicted = cache.insert(4, forKey: "d")
        #expect(evicted.map(\.key) == ["a"])
        #expect(evicted.map(\.value) == [1])
        #expect(cache.keys == ["b", "c", "d"])
    }

    @Test func lookupMarksRecentlyUsedButPeekDoesNot() {
        var cache = LRUCache<String, Int>(capacity: 3)
        cache.insert(1, forKey: "a")
        cache.insert(2, forKey: "b")
        cache.insert(3, forKey: "c")
        #expect(cache.value(forKey: "a") == 1)
        #expect(cache.peek("b") == 2)
        #expect(cache.keys == ["b", "c", "a"])
        #expect(cache.insert(4, forKey: "d").map(\.key) == ["b"])
        #expect(cache.keys == ["c", "a", "d"])
    }

    @Test func replacingKeepsOneEntryAndRefreshesIt() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.insert(1, forKey: "a")
        cache.insert(2, forKey: "b")
        #expect(cache.insert(10, forKey: "a").isEmpty)
        #expect(cache.count == 2)
        #expect(cache.keys == ["b", "a"])
        #expect(cache.peek("a") == 10)
    }

    @Test func removalAndSlotReuse() {
        var cache = LRUCache<Int, Int>(capacity: 4)
        for i in 0..<4 { cache.insert(i, forKey: i) }
        #expect(cache.removeValue(forKey: 1) == 1)
        #expect(cache.removeValue(forKey: 1) == nil)
        #expect(cache.keys == [0, 2, 3])
        cache.insert(5, forKey: 5)
        #expect(cache.keys == [0, 2, 3, 5])
        #expect(cache.removeAll().map(\.key) == [0, 2, 3, 5])
        #expect(cache.isEmpty)
        cache.insert(7, forKey: 7)
        #expect(cache.keys == [7])
    }

    @Test func capacityOne() {
        var cache = LRUCache<Int, String>(capacity: 1)
        cache.insert("x", forKey: 1)
        #expect(cache.insert("y", forKey: 2).map(\.key) == [1])
        #expect(cache.value(forKey: 2) == "y")
        #expect(cache.value(forKey: 1) == nil)
    }

    @Test func manyOperationsMatchAReferenceModel() {
        var cache = LRUCache<Int, Int>(capacity: 8)
        var model: [Int] = []  // keys, least recent first
        var generator = SystemRandomNumberGenerator()
        for step in 0..<5_000 {
            let key = Int.random(in: 0..<20, using: &generator)
            switch step % 3 {
            case 0, 1:
                let evicted = cache.insert(step, forKey: key).map(\.key)
                model.removeAll { $0 == key }
                model.append(key)
                var expected: [Int] = []
                while model.count > 8 { expected.append(model.removeFirst()) }
                #expect(evicted == expected)
            default:
                if cache.value(forKey: key) != nil {
                    model.removeAll { $0 == key }
                    model.append(key)
                }
            }
            #expect(cache.keys == model)
        }
    }
}
