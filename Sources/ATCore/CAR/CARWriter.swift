/// Writes CAR v1: a varint-prefixed DAG-CBOR header `{version: 1, roots: [CID]}` followed by blocks, each
/// `varint(len) ‖ CID bytes ‖ data`.
///
/// Output either accumulates in memory (``init(roots:)``, then ``finish()``) or streams to a sink in chunks of about
/// `flushThreshold` bytes. The writer trusts that each CID matches its data.
package struct CARWriter {
    private var buffer: [UInt8]
    private let sink: (([UInt8]) throws -> Void)?
    private let flushThreshold: Int
    /// How many bytes have been produced so far, flushed or not.
    package private(set) var byteCount = 0
    /// How many blocks have been written.
    package private(set) var blockCount = 0

    /// Starts an in-memory CAR file.
    /// - Parameters:
    ///   - roots: the root CIDs for the header.
    ///   - capacity: bytes to reserve up front.
    package init(roots: [CID], capacity: Int = 4096) {
        self.buffer = []
        self.buffer.reserveCapacity(capacity)
        self.sink = nil
        self.flushThreshold = .max
        appendHeader(roots: roots)
    }

    /// Starts a streaming CAR file; the header is emitted with the first flush.
    /// - Parameters:
    ///   - roots: the root CIDs for the header.
    ///   - flushThreshold: the buffered size that triggers a call to `sink`.
    ///   - sink: receives consecutive chunks of the file.
    package init(roots: [CID], flushThreshold: Int = 64 * 1024, sink: @escaping ([UInt8]) throws -> Void) {
        self.buffer = []
        self.buffer.reserveCapacity(flushThreshold + 1024)
        self.sink = sink
        self.flushThreshold = flushThreshold
        appendHeader(roots: roots)
    }

    /// The encoded header, length prefix included.
    /// - Parameters:
    ///   - roots: the root CIDs.
    package static func header(roots: [CID]) -> [UInt8] {
        let header = DAGCBOR.encode(.map(["version": .integer(1), "roots": .array(roots.map { .link($0) })]))
        var out = Varint.encode(UInt64(header.count))
        out.append(contentsOf: header)
        return out
    }

    private mutating func appendHeader(roots: [CID]) {
        let header = CARWriter.header(roots: roots)
        buffer.append(contentsOf: header)
        byteCount += header.count
    }

    /// Appends one block.
    /// - Parameters:
    ///   - cid: the block's CID.
    ///   - data: the block's bytes.
    package mutating func write(_ cid: CID, _ data: some Collection<UInt8>) throws {
        let before = buffer.count
        Varint.encode(UInt64(cid.bytes.count + data.count), into: &buffer)
        buffer.append(contentsOf: cid.bytes)
        buffer.append(contentsOf: data)
        byteCount += buffer.count - before
        blockCount += 1
        if let sink, buffer.count >= flushThreshold {
            try sink(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Flushes what remains. For an in-memory writer this returns the whole file; for a streaming writer it passes
    /// the remainder to the sink and returns an empty array.
    package mutating func finish() throws -> [UInt8] {
        guard let sink else {
            defer { buffer = [] }
            return buffer
        }
        if !buffer.isEmpty { try sink(buffer) }
        buffer = []
        return []
    }

    /// A whole CAR file in memory.
    /// - Parameters:
    ///   - roots: the root CIDs.
    ///   - blocks: the blocks in file order.
    package static func serialize(roots: [CID], blocks: some Sequence<(cid: CID, bytes: [UInt8])>) -> [UInt8] {
        var writer = CARWriter(roots: roots)
        for block in blocks { try! writer.write(block.cid, block.bytes) }
        return try! writer.finish()
    }
}
