import ATCore

/// An insertion-ordered map of blocks by CID, with its total byte size.
package struct BlockMap: Sendable, Equatable, Sequence {
    private var order: [CID] = []
    private var storage: [CID: [UInt8]] = [:]
    /// The sum of the blocks' byte counts.
    package private(set) var byteSize = 0

    /// An empty map.
    package init() {}

    /// The number of blocks.
    package var count: Int { order.count }
    /// Whether there are no blocks.
    package var isEmpty: Bool { order.isEmpty }
    /// The CIDs in insertion order.
    package var cids: [CID] { order }

    /// The bytes of a block.
    package subscript(cid: CID) -> [UInt8]? { storage[cid] }

    /// Whether the map holds `cid`.
    package func contains(_ cid: CID) -> Bool { storage[cid] != nil }

    /// Adds a block (a no-op when it is already present).
    package mutating func set(_ cid: CID, _ bytes: [UInt8]) {
        guard storage[cid] == nil else { return }
        order.append(cid)
        storage[cid] = bytes
        byteSize += bytes.count
    }

    /// Encodes `value` as DAG-CBOR, adds it, and returns its CID.
    @discardableResult
    package mutating func add(_ value: LexValue) -> CID {
        let bytes = DAGCBOR.encode(value)
        let cid = CID.dagCBOR(hashing: bytes)
        set(cid, bytes)
        return cid
    }

    /// Adds an already encoded record and returns its CID.
    @discardableResult
    package mutating func add(_ record: RecordBlock) -> CID {
        set(record.cid, record.bytes)
        return record.cid
    }

    /// Adds every block of `other`.
    package mutating func add(contentsOf other: BlockMap) {
        for (cid, bytes) in other { set(cid, bytes) }
    }

    /// Removes a block.
    package mutating func remove(_ cid: CID) {
        guard let bytes = storage.removeValue(forKey: cid) else { return }
        order.removeAll { $0 == cid }
        byteSize -= bytes.count
    }

    package func makeIterator() -> some IteratorProtocol<(cid: CID, bytes: [UInt8])> {
        order.lazy.map { (cid: $0, bytes: storage[$0]!) }.makeIterator()
    }
}
