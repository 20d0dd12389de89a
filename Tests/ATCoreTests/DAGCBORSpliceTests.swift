import ATCore
import Testing

@Suite struct DAGCBORSpliceTests {
    /// Small random data-model values (deterministic).
    struct Values {
        var state: UInt64

        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }

        mutating func key() -> String {
            let length = Int(next() % 8) + 1
            return String((0..<length).map { _ in Character(UnicodeScalar(UInt8(97 + next() % 26))) })
        }

        mutating func value(depth: Int = 0) -> LexValue {
            switch next() % (depth > 2 ? 5 : 7) {
            case 0: return .integer(Int64(next()) - 1_000_000)
            case 1: return .string(key())
            case 2: return .bool(next() % 2 == 0)
            case 3: return .null
            case 4: return .bytes((0..<Int(next() % 40)).map { _ in UInt8(next() % 256) })
            case 5: return .array((0..<Int(next() % 4)).map { _ in value(depth: depth + 1) })
            default: return map(depth: depth + 1)
            }
        }

        mutating func map(depth: Int = 0) -> LexValue {
            var fields: [String: LexValue] = [:]
            for _ in 0..<Int(next() % 12) { fields[key()] = value(depth: depth) }
            return .map(fields)
        }
    }

    @Test func splicingEqualsEncodingTheMergedMap() throws {
        var values = Values(state: 42)
        for _ in 0..<500 {
            guard case .map(let base) = values.map() else { continue }
            var added: [(key: String, value: LexValue)] = []
            for _ in 0..<Int(values.next() % 4) {
                // Some new keys, some replacing existing ones.
                let key = values.next() % 3 == 0 && !base.isEmpty ? base.keys.sorted()[0] : values.key()
                if added.contains(where: { $0.key == key }) { continue }
                added.append((key, values.value()))
            }
            var merged = base
            for entry in added { merged[entry.key] = entry.value }
            var out: [UInt8] = []
            try DAGCBOR.spliceMap(DAGCBOR.encode(.map(base)), adding: added, into: &out)
            #expect(out == DAGCBOR.encode(.map(merged)))
        }
    }

    @Test func malformedMapsAreRejected() {
        var out: [UInt8] = []
        #expect(throws: DataModelError.self) { try DAGCBOR.spliceMap(DAGCBOR.encode(.array([])), adding: [], into: &out) }
        let valid = DAGCBOR.encode(.map(["a": .bytes([1, 2, 3])]))
        for cut in 1..<valid.count {
            #expect(throws: DataModelError.self) { try DAGCBOR.spliceMap(valid.prefix(cut), adding: [], into: &out) }
        }
    }
}
