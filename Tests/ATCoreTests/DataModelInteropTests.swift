import TestFixtures
import Testing

@testable import ATCore

/// One entry of an interop data-model fixture file.
struct DataModelFixture: Sendable, CustomTestStringConvertible {
    var note: String
    var json: JSONValue
    var cborBase64: String?
    var cid: String?
    var testDescription: String { note }

    static func load(_ name: String) throws -> [DataModelFixture] {
        let file = try JSONValue(parsing: Array(try Fixtures.data("data-model/\(name)")))
        return (file.array ?? []).enumerated().map { index, entry in
            DataModelFixture(
                note: entry["note"]?.string ?? entry["cid"]?.string ?? "#\(index)",
                json: entry["json"] ?? .null,
                cborBase64: entry["cbor_base64"]?.string,
                cid: entry["cid"]?.string
            )
        }
    }
}

@Suite struct DataModelInteropTests {
    @Test(arguments: try DataModelFixture.load("data-model-fixtures.json"))
    func fixtures(_ fixture: DataModelFixture) throws {
        let value = try LexValue(json: fixture.json)
        let cbor = DAGCBOR.encode(value)
        #expect(cbor == (try Base64.decode(try #require(fixture.cborBase64))))
        #expect(CID.dagCBOR(hashing: cbor).description == fixture.cid)
        #expect(DAGCBOR.cid(of: value).description == fixture.cid)

        let decoded = try DAGCBOR.decode(cbor)
        #expect(decoded == value)
        #expect(decoded.jsonValue == fixture.json)
        let reparsed = try LexValue(jsonBytes: decoded.jsonBytes)
        #expect(reparsed == value)
        #expect(DAGCBOR.encode(reparsed) == cbor)
    }

    @Test(arguments: try DataModelFixture.load("data-model-valid.json"))
    func valid(_ fixture: DataModelFixture) throws {
        let value = try LexValue(json: fixture.json)
        try value.validateDataModel()
        #expect(try DAGCBOR.decode(DAGCBOR.encode(value)) == value)
    }

    @Test(arguments: try DataModelFixture.load("data-model-invalid.json"))
    func invalid(_ fixture: DataModelFixture) {
        #expect(throws: DataModelError.self) { try LexValue(json: fixture.json) }
    }

    @Test func validateDataModelChecksDecodedCBOR() throws {
        let bad: LexValue = ["rcrd": ["$type": "", "a": 1]]
        #expect(throws: DataModelError.self) { try DAGCBOR.decode(DAGCBOR.encode(bad)).validateDataModel() }
    }

    // MARK: - JSON details

    @Test(arguments: [
        ("123", Int64(123)), ("-0", 0), ("123.0", 123), ("1e3", 1000), ("1.5e1", 15), ("-12.300e1", -123),
        ("9223372036854775807", .max), ("-9223372036854775808", .min), ("0.0e-5", 0), ("10e-1", 1),
    ])
    func integralNumbers(_ literal: String, _ expected: Int64) throws {
        #expect(try LexValue(jsonBytes: Array("{\"n\":\(literal)}".utf8)) == ["n": .integer(expected)])
    }

    @Test(arguments: ["123.456", "1e-1", "0.5", "9223372036854775808", "-9223372036854775809", "1e19", "1e400"])
    func nonIntegralNumbers(_ literal: String) {
        #expect(throws: DataModelError.self) { try LexValue(jsonBytes: Array("{\"n\":\(literal)}".utf8)) }
    }

    @Test(arguments: [
        "", "{", "{\"a\":1,}", "[1,]", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":tru}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\u{01}\"}", "{\"a\":\"\\ud800\"}", "{\"a\":1,\"a\":2}", "{} {}", "{'a':1}",
        "{\"a\":{\"$bytes\":\"a\"}}", "{\"a\":{\"$bytes\":\"!!!!\"}}", "{\"a\":{\"$link\":\"bafyrei\"}}",
        "{\"a\":NaN}", "{\"a\":Infinity}",
    ])
    func rejectsBadJSON(_ text: String) {
        #expect(throws: DataModelError.self) { try LexValue(jsonBytes: Array(text.utf8)) }
    }

    @Test func jsonStringsAndBytes() throws {
        let text = #"{"s":"a\"b\\c\n\t\u0001\u00e9\ud83d\ude00/","b":{"$bytes":"AQID"},"p":{"$bytes":"AQI="}}"#
        let value = try LexValue(jsonBytes: Array(text.utf8))
        #expect(value["s"] == .string("a\"b\\c\n\t\u{01}é😀/"))
        #expect(value["b"] == .bytes([1, 2, 3]))
        #expect(value["p"] == .bytes([1, 2]))
        #expect(value.jsonString == #"{"b":{"$bytes":"AQID"},"p":{"$bytes":"AQI"},"s":"a\"b\\c\n\t\u0001é😀/"}"#)
        #expect(try LexValue(jsonBytes: value.jsonBytes) == value)
        #expect(try LexValue(jsonBytes: Array("[1]".utf8), requireMap: false) == [1])
    }

    @Test func jsonDepthLimit() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: DataModelError.self) { try LexValue(jsonBytes: Array(deep.utf8), requireMap: false) }
    }

    @Test(arguments: 0..<4)
    func randomJSONRoundTrip(seed: Int) throws {
        var rng = DataModelRandom(seed: UInt64(seed) + 1000)
        for _ in 0..<500 {
            var value = LexValue.random(using: &rng)
            if value.map == nil { value = ["v": value] }
            // Random keys are at most 6 characters, so they never hit the reserved `$type`, `$link`, `$bytes`.
            let back = try LexValue(jsonBytes: value.jsonBytes)
            #expect(back == value)
            #expect(DAGCBOR.encode(back) == DAGCBOR.encode(value))
        }
    }

    @Test(arguments: ["", "AA", "AAA", "AAAA", "AQID", "AQI", "AQ==", "AQI="])
    func base64Accepts(_ text: String) throws {
        let bytes = try Base64.decode(text)
        #expect(Base64.encode(bytes) == String(text.filter { $0 != "=" }))
    }

    /// Non-zero trailing bits are ignored, as the reference does (the lexicon fixtures hold `{"$bytes": "123"}`).
    @Test(arguments: [("AB", [UInt8(0x00)]), ("AR", [0x01]), ("123", [0xd7, 0x6d])])
    func base64IgnoresTrailingBits(_ text: String, _ expected: [UInt8]) throws {
        #expect(try Base64.decode(text) == expected)
    }

    @Test(arguments: ["A", "AQ=", "AQ===", "A===", "AQI==", "AQ-_", "AQ=I"])
    func base64Rejects(_ text: String) {
        #expect(throws: DataModelError.self) { try Base64.decode(text) }
    }
}
