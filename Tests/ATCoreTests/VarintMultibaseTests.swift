import Testing

@testable import ATCore

@Suite struct VarintMultibaseTests {
    @Test(arguments: [UInt64(0), 1, 127, 128, 255, 300, 16_384, 0x71, 0x1200, 0xe7, UInt64(Int64.max)])
    func varintRoundTrip(_ value: UInt64) throws {
        let bytes = Varint.encode(value)
        let (decoded, length) = try Varint.decode(bytes)
        #expect(decoded == value)
        #expect(length == bytes.count)
    }

    @Test func varintRejectsNonMinimalAndTruncated() {
        #expect(throws: DataModelError.invalidVarint) { try Varint.decode([0x80, 0x00]) }
        #expect(throws: DataModelError.invalidVarint) { try Varint.decode([0x80]) }
        #expect(throws: DataModelError.invalidVarint) { try Varint.decode([UInt8]()) }
    }

    @Test func base32KnownVectors() throws {
        #expect(Multibase.base32Encode(Array("foobar".utf8)) == "mzxw6ytboi")
        #expect(try Multibase.base32Decode("mzxw6ytboi") == Array("foobar".utf8))
        #expect(Multibase.base32Encode([UInt8]()) == "")
    }

    @Test func base58KnownVectors() throws {
        #expect(Multibase.base58Encode(Array("Hello World!".utf8)) == "2NEpo7TZRRrLZSi2U")
        #expect(Multibase.base58Encode([0, 0, 1]) == "112")
        #expect(try Multibase.base58Decode("112") == [0, 0, 1])
        #expect(throws: DataModelError.self) { try Multibase.base58Decode("0OIl") }
    }

    @Test func prefixedDecode() throws {
        #expect(try Multibase.decode("bmzxw6ytboi") == Array("foobar".utf8))
        #expect(throws: DataModelError.self) { try Multibase.decode("fabc") }
    }
}

@Suite struct HexTests {
    @Test func roundTrip() throws {
        let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "00017f80abff")
        #expect(try Hex.decode("00017F80abFF") == bytes)
    }

    @Test(arguments: ["0", "zz", "0g", "abc"])
    func rejectsInvalid(_ input: String) {
        #expect(throws: DataModelError.invalidHex) { try Hex.decode(input) }
    }
}
