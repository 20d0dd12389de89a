/// A fixed-capacity map that evicts its least recently used entries.
///
/// All operations are O(1): entries live in an array-backed doubly linked list ordered from least to most
/// recently used, indexed by a dictionary. It is a value type with no locking; callers that share one wrap it in a
/// `Mutex`.
package struct LRUCache<Key: Hashable, Value> {
    private struct Node {
        var key: Key
        var value: Value
        var previous: Int
        var next: Int
    }

    /// The most entries kept; inserting beyond it evicts the least recently used ones.
    package let capacity: Int
    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var index: [Key: Int] = [:]
    private var head = -1  // least recently used
    private var tail = -1  // most recently used

    /// An empty cache.
    /// - Parameters:
    ///   - capacity: the most entries kept (at least 1).
    package init(capacity: Int) {
        precondition(capacity >= 1, "an LRU cache holds at least one entry")
        self.capacity = capacity
    }

    /// The number of entries.
    package var count: Int { index.count }
    /// Whether there are no entries.
    package var isEmpty: Bool { index.isEmpty }

    /// The keys from least to most recently used.
    package var keys: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(count)
        var cursor = head
        while cursor >= 0, let node = nodes[cursor] {
            keys.append(node.key)
            cursor = node.next
        }
        return keys
    }

    /// The value for `key`, marking it most recently used.
    /// - Parameters:
    ///   - key: the key to look up.
    package mutating func value(forKey key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        moveToTail(slot)
        return nodes[slot]!.value
    }

    /// The value for `key` without changing its recency.
    /// - Parameters:
    ///   - key: the key to look up.
    package func peek(_ key: Key) -> Value? {
        index[key].map { nodes[$0]!.value }
    }

    /// Inserts or replaces the value for `key` as the most recently used entry.
    /// - Parameters:
    ///   - value: the new value.
    ///   - key: its key.
    /// - Returns: The entries evicted to stay within ``capacity``, least recently used first.
    @discardableResult
    package mutating func insert(_ value: Value, forKey key: Key) -> [(key: Key, value: Value)] {
        if let slot = index[key] {
            nodes[slot]!.value = value
            moveToTail(slot)
            return []
        }
        let node = Node(key: key, value: value, previous: tail, next: -1)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        if tail >= 0 { nodes[tail]!.next = slot } else { head = slot }
        tail = slot
        index[key] = slot
        var evicted: [(key: Key, value: Value)] = []
        while index.count > capacity, let oldest = removeNode(head) {
            evicted.append(oldest)
        }
        return evicted
    }

    /// Removes the entry for `key`.
    /// - Parameters:
    ///   - key: the key to remove.
    /// - Returns: The removed value, if there was one.
    @discardableResult
    package mutating func removeValue(forKey key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        return removeNode(slot)?.value
    }

    /// Removes every entry.
    /// - Returns: The removed entries, least recently used first.
    package mutating func removeAll() -> [(key: Key, value: Value)] {
        var removed: [(key: Key, value: Value)] = []
        while head >= 0, let entry = removeNode(head) { removed.append(entry) }
        return removed
    }

    // MARK: - List maintenance

    private mutating func removeNode(_ slot: Int) -> (key: Key, value: Value)? {
        guard slot >= 0, let node = nodes[slot] else { return nil }
        if node.previous >= 0 { nodes[node.previous]!.next = node.next } else { head = node.next }
        if node.next >= 0 { nodes[node.next]!.previous = node.previous } else { tail = node.previous }
        nodes[slot] = nil
        free.append(slot)
        index[node.key] = nil
        return (node.key, node.value)
    }

    private mutating func moveToTail(_ slot: Int) {
        guard slot != tail else { return }
        let node = nodes[slot]!
        // Unlink (the node is not the tail, so it has a successor).
        if node.previous >= 0 { nodes[node.previous]!.next = node.next } else { head = node.next }
        nodes[node.next]!.previous = node.previous
        // Append.
        nodes[slot]!.previous = tail
        nodes[slot]!.next = -1
        nodes[tail]!.next = slot
        tail = slot
    }
}
