import Testing

@testable import ATCore

/// SplitMix64: a small seeded generator so property tests are reproducible.
struct DataModelRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension LexValue {
    /// A random value no deeper than `depth`.
    static func random(using rng: inout DataModelRandom, depth: Int = 4) -> LexValue {
        let kinds = depth > 0 ? 9 : 7
        switch Int.random(in: 0..<kinds, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return .integer(Int64.random(in: -30...30, using: &rng))
            case 1: return .integer(Int64.random(in: -70_000...70_000, using: &rng))
            case 2: return .integer([Int64.min, Int64.max, 0, -1, 23, 24, -24, -25, 255, 256, 65_535, 65_536,
                                     4_294_967_295, 4_294_967_296, -4_294_967_296, -4_294_967_297].randomElement(using: &rng)!)
            default: return .integer(Int64.random(in: .min ... .max, using: &rng))
            }
        case 3: return .string(randomString(using: &rng, maxLength: 40))
        case 4: return .bytes((0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case 5, 6:
            if Bool.random(using: &rng) {
                let bytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) }
                return .link(Bool.random(using: &rng) ? CID.dagCBOR(hashing: bytes) : CID.raw(hashing: bytes))
            }
            return .string(randomString(using: &rng, maxLength: 300))
        case 7:
            return .array((0..<Int.random(in: 0..<6, using: &rng)).map { _ in random(using: &rng, depth: depth - 1) })
        default:
            var map: [String: LexValue] = [:]
            for _ in 0..<Int.random(in: 0..<7, using: &rng) {
                map[randomString(using: &rng, maxLength: 6)] = random(using: &rng, depth: depth - 1)
            }
            return .map(map)
        }
    }

    static func randomString(using rng: inout DataModelRandom, maxLength: Int) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxLength, using: &rng) {
            let range: ClosedRange<UInt32> =
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: 0x80...0x7ff
                case 1: 0x4e00...0x9fff
                case 2: 0x1f600...0x1f64f
                default: 0x20...0x7e
                }
            s.append(Unicode.Scalar(UInt32.random(in: range, using: &rng))!)
        }
        return String(s)
    }
}

private func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.utf8).filter { $0 != UInt8(ascii: " ") }
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

@Suite struct DAGCBORTests {
    // MARK: - Known encodings

    @Test(arguments: [
        (Int64(0), "00"), (1, "01"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (65_535, "19ffff"),
        (65_536, "1a00010000"), (4_294_967_295, "1affffffff"), (4_294_967_296, "1b0000000100000000"),
        (Int64.max, "1b7fffffffffffffff"), (-1, "20"), (-24, "37"), (-25, "3818"), (-256, "38ff"), (-257, "390100"),
        (Int64.min, "3b7fffffffffffffff"),
    ])
    func integers(_ value: Int64, _ encoding: String) throws {
        #expect(DAGCBOR.encode(.integer(value)) == hex(encoding))
        #expect(try DAGCBOR.decode(hex(encoding)) == .integer(value))
    }

    @Test func scalarsAndStrings() throws {
        #expect(DAGCBOR.encode(.null) == [0xf6])
        #expect(DAGCBOR.encode(.bool(true)) == [0xf5])
        #expect(DAGCBOR.encode(.bool(false)) == [0xf4])
        #expect(DAGCBOR.encode("") == [0x60])
        #expect(DAGCBOR.encode("a") == [0x61, 0x61])
        #expect(DAGCBOR.encode(.string(String(repeating: "x", count: 24))) == [0x78, 24] + Array(repeating: 0x78, count: 24))
        #expect(DAGCBOR.encode(.bytes([1, 2])) == [0x42, 1, 2])
        #expect(DAGCBOR.encode([]) == [0x80])
        #expect(DAGCBOR.encode([:]) == [0xa0])
    }

    @Test func mapKeysSortLengthFirst() throws {
        let value: LexValue = ["bb": 1, "a": 2, "b": 3, "aaa": 4, "ab": 5]
        let bytes = DAGCBOR.encode(value)
        #expect(bytes == hex("a5 6161 02 6162 03 626162 05 626262 01 63616161 04"))
        #expect(try DAGCBOR.decode(bytes) == value)
    }

    @Test func linkEncoding() throws {
        let cid = try CID("bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a")
        let bytes = DAGCBOR.encode(.link(cid))
        #expect(bytes.prefix(5) == [0xd8, 0x2a, 0x58, 0x25, 0x00])
        #expect(Array(bytes.dropFirst(5)) == cid.bytes)
        #expect(try DAGCBOR.decode(bytes) == .link(cid))
    }

    // MARK: - Rejections

    @Test(arguments: [
        ("unsorted keys", "a2 6162 01 6161 02"),
        ("length order violated", "a2 626161 01 6162 02"),
        ("duplicate keys", "a2 6161 01 6161 02"),
        ("integer map key", "a1 01 02"),
        ("bytes map key", "a1 4161 02"),
        ("non-minimal int 1 byte", "1817"),
        ("non-minimal int 2 bytes", "1900ff"),
        ("non-minimal int 4 bytes", "1a0000ffff"),
        ("non-minimal int 8 bytes", "1b00000000ffffffff"),
        ("non-minimal negative", "3800"),
        ("non-minimal string length", "7801 61"),
        ("non-minimal array length", "9800"),
        ("uint beyond Int64", "1b8000000000000000"),
        ("negative beyond Int64", "3b8000000000000000"),
        ("indefinite array", "9f ff"),
        ("indefinite map", "bf ff"),
        ("indefinite string", "7f ff"),
        ("indefinite bytes", "5f ff"),
        ("break", "ff"),
        ("half float", "f90000"),
        ("single float", "fa00000000"),
        ("double float", "fb3ff0000000000000"),
        ("undefined", "f7"),
        ("simple value 16", "f0"),
        ("simple value in extra byte", "f820"),
        ("reserved info", "1c"),
        ("tag 0", "c0 60"),
        ("tag 43", "d82b 4100"),
        ("tag 42 over text", "d82a 6100"),
        ("tag 42 without 0x00 prefix", "d82a 41 01"),
        ("tag 42 over empty bytes", "d82a 40"),
        ("tag 42 non-minimal", "d9002a 4100"),
        ("tag 42 bad CID", "d82a 43 00 01 71"),
        ("huge byte length", "5bffffffffffffffff"),
        ("huge string length", "7bffffffffffffffff"),
        ("huge array length", "9bffffffffffffffff"),
        ("huge map length", "bbffffffffffffffff"),
        ("length beyond input", "45 0102"),
        ("invalid UTF-8", "62 c328"),
        ("overlong UTF-8", "62 c0af"),
        ("UTF-8 surrogate", "63 eda080"),
        ("trailing bytes", "f6 f6"),
        ("empty input", ""),
        ("truncated head", "19 01"),
    ])
    func rejects(_ name: String, _ encoding: String) {
        #expect(throws: DataModelError.self, "\(name)") { try DAGCBOR.decode(hex(encoding)) }
    }

    @Test func depthLimit() throws {
        let ok = [UInt8](repeating: 0x81, count: DAGCBOR.maxDepth) + [0xf6]
        #expect(throws: Never.self) { try DAGCBOR.decode(ok) }
        let bomb = [UInt8](repeating: 0x81, count: DAGCBOR.maxDepth + 1) + [0xf6]
        #expect(throws: DataModelError.self) { try DAGCBOR.decode(bomb) }
        let mapBomb = Array([[UInt8]](repeating: [0xa1, 0x61, 0x61], count: 100_000).joined()) + [0xf6]
        #expect(throws: DataModelError.self) { try DAGCBOR.decode(mapBomb) }
        #expect(throws: DataModelError.self) { try DAGCBOR.decode([UInt8](repeating: 0x81, count: 1_000_000)) }
    }

    @Test func canonicallyEquivalentKeysRejected() {
        // "é" precomposed (c3 a9) and decomposed (65 cc 81) differ in bytes but are equal Swift strings.
        #expect(throws: DataModelError.self) { try DAGCBOR.decode(hex("a2 62c3a9 01 6365cc81 02")) }
    }

    // MARK: - Properties

    @Test(arguments: 0..<8)
    func randomRoundTrip(seed: Int) throws {
        var rng = DataModelRandom(seed: UInt64(seed) &* 7919)
        for _ in 0..<500 {
            let value = LexValue.random(using: &rng)
            let bytes = DAGCBOR.encode(value)
            let decoded = try DAGCBOR.decode(bytes)
            #expect(decoded == value)
            #expect(DAGCBOR.encode(decoded) == bytes)
        }
    }

    @Test func everyTruncationRejected() throws {
        var rng = DataModelRandom(seed: 42)
        for _ in 0..<200 {
            let bytes = DAGCBOR.encode(.random(using: &rng))
            for length in 0..<bytes.count {
                #expect(throws: DataModelError.self) { try DAGCBOR.decode(bytes[..<length]) }
            }
        }
    }

    @Test func byteFlipsNeverCrash() throws {
        var rng = DataModelRandom(seed: 1234)
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = DAGCBOR.encode(.random(using: &rng, depth: 3))
            let flips = Int.random(in: 1...3, using: &rng)
            for _ in 0..<flips {
                let i = Int.random(in: bytes.indices, using: &rng)
                bytes[i] = Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : bytes[i] ^ (1 << UInt8.random(in: 0..<8, using: &rng))
            }
            if let value = try? DAGCBOR.decode(bytes) {
                accepted += 1
                #expect(DAGCBOR.encode(value) == bytes)
            }
        }
        #expect(accepted > 0)
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = DataModelRandom(seed: 99)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0..<32, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let value = try? DAGCBOR.decode(bytes) { #expect(DAGCBOR.encode(value) == bytes) }
        }
    }

    @Test func utf8ValidatorMatchesStandardLibrary() {
        var rng = DataModelRandom(seed: 77)
        let interesting: [UInt8] = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
                                    0x9f, 0xa0, 0x8f, 0x90]
        for _ in 0..<50_000 {
            let bytes = (0..<Int.random(in: 0..<12, using: &rng)).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            let expected = String(validating: bytes, as: UTF8.self)
            let actual = bytes.withUnsafeBufferPointer { String(validatedUTF8: $0) }
            #expect(actual == expected, "\(bytes)")
        }
        let text = "plain ascii long enough for the word path, then é, データ and 🚀."
        #expect(Array(text.utf8).withUnsafeBufferPointer { String(validatedUTF8: $0) } == text)
    }

    @Test func blobRefs() throws {
        let cid = CID.raw(hashing: Array("hello".utf8))
        let blob = BlobRef(ref: cid, mimeType: "image/png", size: 5)
        let legacy: LexValue = ["cid": .string(cid.description), "mimeType": "image/jpeg"]
        let record: LexValue = [
            "$type": "app.bsky.feed.post", "text": "hi",
            "embed": ["images": [["image": blob.lexValue, "alt": ""], ["image": legacy, "alt": "x"]]],
        ]
        let found = BlobRef.all(in: record)
        #expect(found.count == 2)
        #expect(found.contains(blob))
        #expect(found.contains { $0.isLegacy && $0.ref == cid && $0.lexValue == legacy })
        #expect(BlobRef(["$type": "blob", "ref": .link(cid), "mimeType": "a/b", "size": "5"]) == nil)
        #expect(try DAGCBOR.decode(DAGCBOR.encode(record)) == record)
    }
}
