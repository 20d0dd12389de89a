import Testing

@testable import ATCore

@Suite struct CARTests {
    static func sampleBlocks(count: Int, seed: UInt64 = 7) -> [(cid: CID, bytes: [UInt8])] {
        var rng = DataModelRandom(seed: seed)
        return (0..<count).map { i in
            let bytes = DAGCBOR.encode(["i": .integer(Int64(i)), "v": .random(using: &rng, depth: 3)])
            return (i % 5 == 4) ? (CID.raw(hashing: bytes), bytes) : (CID.dagCBOR(hashing: bytes), bytes)
        }
    }

    @Test func writeReadIdentity() throws {
        let blocks = Self.sampleBlocks(count: 300)
        let roots = [blocks[0].cid, blocks[1].cid]
        let car = CARWriter.serialize(roots: roots, blocks: blocks)
        let (readRoots, readBlocks) = try CARReader.read(car)
        #expect(readRoots == roots)
        #expect(readBlocks.map(\.cid) == blocks.map(\.cid))
        #expect(readBlocks.map(\.bytes) == blocks.map(\.bytes))
    }

    @Test func streamingMatchesInMemory() throws {
        let blocks = Self.sampleBlocks(count: 200)
        var chunks: [[UInt8]] = []
        var writer = CARWriter(roots: [blocks[0].cid], flushThreshold: 1000) { chunks.append($0) }
        for block in blocks { try writer.write(block.cid, block.bytes) }
        #expect(try writer.finish().isEmpty)
        #expect(chunks.count > 1)
        #expect(Array(chunks.joined()) == CARWriter.serialize(roots: [blocks[0].cid], blocks: blocks))
        #expect(writer.byteCount == chunks.reduce(0) { $0 + $1.count })
        #expect(writer.blockCount == 200)
    }

    @Test func emptyRootsAndNoBlocks() throws {
        let car = CARWriter.serialize(roots: [], blocks: [(cid: CID, bytes: [UInt8])]())
        let (roots, blocks) = try CARReader.read(car)
        #expect(roots.isEmpty && blocks.isEmpty)
    }

    @Test func incrementalReader() throws {
        let blocks = Self.sampleBlocks(count: 10)
        var reader = try CARReader(CARWriter.serialize(roots: [blocks[0].cid], blocks: blocks))
        var seen = 0
        while let block = try reader.next() {
            #expect(block.cid == blocks[seen].cid)
            seen += 1
        }
        #expect(seen == 10)
        #expect(try reader.next() == nil)
    }

    @Test func corruptedBlockRejected() throws {
        let blocks = Self.sampleBlocks(count: 5)
        var car = CARWriter.serialize(roots: [blocks[0].cid], blocks: blocks)
        car[car.count - 3] ^= 0x01
        #expect(throws: DataModelError.self) { try CARReader.read(car) }
        // The wrong CID for the right data.
        let swapped = CARWriter.serialize(roots: [], blocks: [(blocks[1].cid, blocks[2].bytes)])
        #expect(throws: DataModelError.self) { try CARReader.read(swapped) }
    }

    @Test func truncationRejectedExceptAtBlockBoundaries() throws {
        let blocks = Self.sampleBlocks(count: 6)
        let header = CARWriter.header(roots: [blocks[0].cid])
        var boundaries: [Int: Int] = [header.count: 0]
        var offset = header.count
        for (i, block) in blocks.enumerated() {
            offset += Varint.encode(UInt64(block.cid.bytes.count + block.bytes.count)).count + block.cid.bytes.count + block.bytes.count
            boundaries[offset] = i + 1
        }
        let car = CARWriter.serialize(roots: [blocks[0].cid], blocks: blocks)
        #expect(offset == car.count)
        for length in 0..<car.count {
            let prefix = Array(car.prefix(length))
            if let count = boundaries[length] {
                #expect(try CARReader.read(prefix).blocks.count == count)
            } else {
                #expect(throws: DataModelError.self) { try CARReader.read(prefix) }
            }
        }
    }

    @Test func oversizedRejected() throws {
        let big = [UInt8](repeating: 7, count: 10_000)
        let car = CARWriter.serialize(roots: [], blocks: [(CID.raw(hashing: big), big)])
        #expect(throws: DataModelError.self) { try CARReader.read(car, limits: .init(maxBlockSize: 9_999)) }
        #expect(try CARReader.read(car, limits: .init(maxBlockSize: 10_000)).blocks.count == 1)
        #expect(throws: DataModelError.self) { try CARReader.read(car, limits: .init(maxTotalSize: 5_000)) }
        // A block length prefix far beyond the input.
        var hostile = CARWriter.header(roots: [])
        hostile.append(contentsOf: Varint.encode(UInt64(Int64.max)))
        #expect(throws: DataModelError.self) { try CARReader.read(hostile) }
    }

    @Test func badHeadersRejected() throws {
        let cid = CID.raw(hashing: [1])
        func car(_ header: LexValue) -> [UInt8] {
            let bytes = DAGCBOR.encode(header)
            return Varint.encode(UInt64(bytes.count)) + bytes
        }
        #expect(throws: Never.self) { try CARReader(car(["version": 1, "roots": [.link(cid)]])) }
        #expect(throws: DataModelError.self) { try CARReader(car(["version": 2, "roots": [.link(cid)]])) }
        #expect(throws: DataModelError.self) { try CARReader(car(["version": 1])) }
        #expect(throws: DataModelError.self) { try CARReader(car(["version": 1, "roots": ["x"]])) }
        #expect(throws: DataModelError.self) { try CARReader(car(["version": 1, "roots": [], "extra": 1])) }
        #expect(throws: DataModelError.self) { try CARReader(car([1, 2])) }
        #expect(throws: DataModelError.self) { try CARReader([]) }
        #expect(throws: DataModelError.self) { try CARReader([0x00]) }
        #expect(throws: DataModelError.self) { try CARReader([0xff, 0xff, 0xff, 0xff, 0x0f]) }
        var trailingJunk = CARWriter.header(roots: [cid])
        trailingJunk.append(0x00)
        #expect(throws: DataModelError.self) { try CARReader.read(trailingJunk) }
    }
}
