import Foundation
import Testing

@testable import ATCore

@Suite struct CIDTests {
    static let samples = [
        "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq",
        "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
        "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity",
    ]

    @Test(arguments: samples)
    func stringRoundTrip(_ string: String) throws {
        let cid = try CID(string)
        #expect(cid.version == 1)
        #expect(cid.description == string)
        #expect(cid.bytes.count == 36)
        #expect(cid.digest.count == 32)
        #expect(cid.hashCode == 0x12)
        #expect(try CID(bytes: cid.bytes) == cid)
    }

    @Test func codecs() throws {
        #expect(try CID("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq").codec == .dagCBOR)
        #expect(try CID("bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity").codec == .raw)
    }

    @Test func rawOfEmptyBytes() {
        // The well-known CID of zero bytes with the raw codec.
        #expect(CID.raw(hashing: [UInt8]()).description == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    }

    @Test func dagCBORHashing() throws {
        let cid = CID.dagCBOR(hashing: [0xa0])
        #expect(cid.codec == .dagCBOR)
        #expect(Array(cid.digest) == sha256([0xa0]))
        #expect(cid.description.hasPrefix("bafyrei"))
    }

    @Test func version0() throws {
        let string = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"
        let cid = try CID(string)
        #expect(cid.version == 0)
        #expect(cid.codec == .dagPB)
        #expect(cid.bytes.count == 34)
        #expect(cid.description == string)
        #expect(try CID(bytes: cid.bytes) == cid)
    }

    @Test(arguments: [
        "", ".", "b", "bafyrei", "Bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq",
        "BAFYREICLP443LAVOGVHJ3D2OB2CXBFUSCNI2K5JK7BEBJZG7KHL3ESABWQ",
        "zdj7WhuEjrB52m1BisYCtmjH1hSKa7yZ3jEZ9JcXaFRD51wVz",
        "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwqa",
        "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabw",
        "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1",
    ])
    func rejectsBadStrings(_ string: String) {
        #expect(throws: DataModelError.self) { try CID(string) }
    }

    @Test func rejectsBadBinary() throws {
        let good = try CID("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq").bytes
        #expect(throws: DataModelError.self) { try CID(bytes: good + [0]) }
        #expect(throws: DataModelError.self) { try CID(bytes: good.dropLast()) }
        var wrongLength = good
        wrongLength[3] = 31
        #expect(throws: DataModelError.self) { try CID(bytes: wrongLength.dropLast()) }
        var wrongHash = good
        wrongHash[2] = 0x13
        #expect(throws: DataModelError.self) { try CID(bytes: wrongHash) }
        var wrongVersion = good
        wrongVersion[0] = 2
        #expect(throws: DataModelError.self) { try CID(bytes: wrongVersion) }
        #expect(throws: DataModelError.self) { try CID(bytes: [UInt8]()) }
        for length in 0..<good.count {
            #expect(throws: DataModelError.self) { try CID(bytes: good.prefix(length)) }
        }
    }

    @Test func orderingAndCoding() throws {
        let cids = try Self.samples.map { try CID($0) }
        let sorted = cids.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(a.bytes.lexicographicallyPrecedes(b.bytes)) }
        let encoded = try JSONEncoder().encode(cids)
        #expect(try JSONDecoder().decode([CID].self, from: encoded) == cids)
        #expect(String(decoding: encoded, as: UTF8.self).contains(Self.samples[0]))
        #expect(Set(cids + cids).count == 3)
    }
}
