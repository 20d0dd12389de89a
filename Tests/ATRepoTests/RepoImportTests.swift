import ATCore
import ATCrypto
import Testing

@testable import ATRepo

/// Import verification rejects tampered, unsigned, incomplete and non-canonical repositories.
@Suite struct RepoImportTests {
    
    @Test func importRejectsTamperedBlock() throws {
        let (repo, _) = try TestRepo.makeRepo(records: 20)
        var car = try repo.exportCAR()
        car[car.count - 3] ^= 0x01  // inside the last record
        #expect(throws: RepoError.self) { try RepoVerifier.verify(car: car, key: TestRepo.keypair.publicKey) }
    }

    @Test func importRejectsBadSignatureAndWrongDID() throws {
        let (repo, _) = try TestRepo.makeRepo(records: 20)
        let car = try repo.exportCAR()
        #expect(throws: RepoError.invalidCommit("bad signature")) {
            try RepoVerifier.verify(car: car, key: TestRepo.otherKeypair.publicKey)
        }
        #expect(throws: RepoError.self) {
            try RepoVerifier.verify(
                car: car, did: try DID("did:plc:someoneelse000000000000"), key: TestRepo.keypair.publicKey)
        }
        _ = try RepoVerifier.verify(car: car, did: TestRepo.did, key: TestRepo.keypair.publicKey)
    }

    @Test func importRejectsMissingRecordOrNode() throws {
        let (repo, _) = try TestRepo.makeRepo(records: 40)
        let (roots, blocks) = try CARReader.read(try repo.exportCAR())
        let lastRecord = blocks.last!.cid
        let withoutRecord = CARWriter.serialize(
            roots: roots, blocks: blocks.filter { $0.cid != lastRecord }.map { ($0.cid, $0.bytes) })
        #expect(throws: RepoError.missingBlock(lastRecord)) {
            try RepoVerifier.verify(car: withoutRecord, key: TestRepo.keypair.publicKey)
        }
        _ = try RepoVerifier.verify(car: withoutRecord, key: TestRepo.keypair.publicKey, requireRecords: false)
        let withoutNode = CARWriter.serialize(
            roots: roots,
            blocks: blocks.enumerated().filter { $0.offset != 2 }.map { ($0.element.cid, $0.element.bytes) })
        #expect(throws: RepoError.missingBlock(blocks[2].cid)) {
            try RepoVerifier.verify(car: withoutNode, key: TestRepo.keypair.publicKey)
        }
    }

    /// Builds a signed repo CAR over hand-made MST nodes.
    static func forgedCAR(nodes: [LexValue], records: [LexValue]) throws -> [UInt8] {
        var blocks = BlockMap()
        for record in records { blocks.add(record) }
        var root: CID?
        for node in nodes.reversed() { root = blocks.add(node) }
        let commit = try Commit.sign(
            did: TestRepo.did, data: root!, rev: try TID("3jzfcijpj2z2a"), keypair: TestRepo.keypair)
        var all = BlockMap()
        all.set(commit.cid, commit.bytes)
        all.add(contentsOf: blocks)
        return CARWriter.serialize(roots: [commit.cid], blocks: all)
    }

    static func entry(_ prefix: Int, _ suffix: String, _ value: CID, _ right: CID? = nil) -> LexValue {
        .map([
            "p": .integer(Int64(prefix)), "k": .bytes(Array(suffix.utf8)), "v": .link(value),
            "t": right.map { .link($0) } ?? .null,
        ])
    }

    @Test func importRejectsNonCanonicalTrees() throws {
        let record = TestRepo.record(1)
        let value = DAGCBOR.cid(of: record)
        let layer0a = "com.example.record/3jqfcqzm3fo2j"
        let layer0b = "com.example.record/3jqfcqzm3fp2j"
        let layer1 = "com.example.record/3jqfcqzm3fs2j"
        #expect(MST.layer(of: layer0a) == 0 && MST.layer(of: layer0b) == 0 && MST.layer(of: layer1) == 1)
        let good = try Self.forgedCAR(
            nodes: [.map(["l": .null, "e": .array([Self.entry(0, layer0a, value), Self.entry(29, "p2j", value)])])],
            records: [record])
        _ = try RepoVerifier.verify(car: good, key: TestRepo.keypair.publicKey)
        let cases: [(String, LexValue)] = [
            (
                "unsorted",
                .map(["l": .null, "e": .array([Self.entry(0, layer0b, value), Self.entry(29, "o2j", value)])])
            ),
            (
                "wrong layer",
                .map(["l": .null, "e": .array([Self.entry(0, layer0a, value), Self.entry(29, "s2j", value)])])
            ),
            (
                "short prefix",
                .map(["l": .null, "e": .array([Self.entry(0, layer0a, value), Self.entry(28, "fp2j", value)])])
            ),
            (
                "duplicate key",
                .map(["l": .null, "e": .array([Self.entry(0, layer0a, value), Self.entry(29, "o2j", value)])])
            ),
            ("invalid key", .map(["l": .null, "e": .array([Self.entry(0, "no-slash", value)])])),
            ("extra field", .map(["l": .null, "e": .array([Self.entry(0, layer0a, value)]), "x": .null])),
        ]
        for (name, node) in cases {
            let car = try Self.forgedCAR(nodes: [node], records: [record])
            #expect(throws: RepoError.self, "\(name)") {
                try RepoVerifier.verify(car: car, key: TestRepo.keypair.publicKey)
            }
        }
        // A layer-1 key placed in a node beneath another layer-1 key's subtree, and an untrimmed top.
        let leaf = LexValue.map(["l": .null, "e": .array([Self.entry(0, layer0a, value)])])
        let leafCID = DAGCBOR.cid(of: leaf)
        let untrimmed = LexValue.map(["l": .link(leafCID), "e": .array([])])
        #expect(throws: RepoError.self) {
            try RepoVerifier.verify(car: try Self.forgedCAR(nodes: [untrimmed, leaf], records: [record]), key: nil)
        }
        // A layer-0 key above an empty subtree: the subtree must not be an empty node.
        let empty = LexValue.map(["l": .null, "e": .array([])])
        let withEmpty = LexValue.map(["l": .link(DAGCBOR.cid(of: empty)), "e": .array([Self.entry(0, layer1, value)])])
        #expect(throws: RepoError.self) {
            try RepoVerifier.verify(car: try Self.forgedCAR(nodes: [withEmpty, empty], records: [record]), key: nil)
        }
        // Keys of a subtree outside the range its position allows.
        let lowLeaf = LexValue.map([
            "l": .null, "e": .array([Self.entry(0, "com.example.record/3jqfcqzm3fz2j", value)]),
        ])
        let misplaced = LexValue.map([
            "l": .link(DAGCBOR.cid(of: lowLeaf)), "e": .array([Self.entry(0, layer1, value)]),
        ])
        #expect(MST.layer(of: "com.example.record/3jqfcqzm3fz2j") == 0)
        #expect(throws: RepoError.self) {
            try RepoVerifier.verify(car: try Self.forgedCAR(nodes: [misplaced, lowLeaf], records: [record]), key: nil)
        }
    }
}
