import ATCore
import Foundation
import TestFixtures
import Testing

@testable import ATRepo

@Suite struct MSTInteropTests {
    struct KeyHeight: Decodable, Sendable {
        var key: String
        var height: Int
    }
    struct CommonPrefix: Decodable, Sendable {
        var left: String
        var right: String
        var len: Int
    }

    @Test(arguments: try Fixtures.json("mst/key_heights.json", as: [KeyHeight].self))
    func keyHeight(_ fixture: KeyHeight) {
        #expect(MST.layer(of: fixture.key) == fixture.height, "\(fixture.key)")
    }

    @Test(arguments: try Fixtures.json("mst/common_prefix.json", as: [CommonPrefix].self))
    func commonPrefix(_ fixture: CommonPrefix) {
        #expect(MST.commonPrefixLength(Array(fixture.left.utf8), Array(fixture.right.utf8)) == fixture.len)
    }

    @Test func exampleKeysBuildOneTreeInAnyOrder() throws {
        let keys = try Fixtures.lines("mst/example_keys.txt")
        #expect(keys.count == 156)
        for key in keys { #expect(MST.isValidKey(key), "\(key)") }
        let pairs = keys.map { ($0, TestRepo.cid(1)) }
        let sorted = try TestRepo.tree(pairs)
        let reversed = try TestRepo.tree(pairs.reversed())
        var rng = SeededRNG(seed: 7)
        let shuffled = try TestRepo.tree(pairs.shuffled(using: &rng))
        #expect(sorted.rootCID == reversed.rootCID)
        #expect(sorted.rootCID == shuffled.rootCID)
        #expect(try sorted.leafCount() == 156)
        #expect(try sorted.entries().map(\.key) == keys)
        #expect(sorted.layer == keys.map { MST.layer(of: $0) }.max())
    }

    // MARK: - Known roots (the reference implementation's published vectors)

    static let cid1 = try! CID("bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454")

    func root(_ keys: [String]) throws -> MST {
        try TestRepo.tree(keys.map { ("com.example.record/\($0)", Self.cid1) })
    }

    @Test func emptyTreeRoot() throws {
        let tree = MST(storage: MemoryBlockstore())
        #expect(tree.rootCID.description == "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm")
        #expect(try tree.leafCount() == 0)
    }

    @Test func trivialTreeRoot() throws {
        let tree = try root(["3jqfcqzm3fo2j"])
        #expect(tree.rootCID.description == "bafyreibj4lsc3aqnrvphp5xmrnfoorvru4wynt6lwidqbm2623a6tatzdu")
    }

    @Test func singleLayer2Root() throws {
        let tree = try root(["3jqfcqzm3fx2j"])
        #expect(tree.layer == 2)
        #expect(tree.rootCID.description == "bafyreih7wfei65pxzhauoibu3ls7jgmkju4bspy4t2ha2qdjnzqvoy33ai")
    }

    @Test func simpleTreeRoot() throws {
        let tree = try root(["3jqfcqzm3fp2j", "3jqfcqzm3fr2j", "3jqfcqzm3fs2j", "3jqfcqzm3ft2j", "3jqfcqzm4fc2j"])
        #expect(try tree.leafCount() == 5)
        #expect(tree.rootCID.description == "bafyreicmahysq4n6wfuxo522m6dpiy7z7qzym3dzs756t5n7nfdgccwq7m")
    }

    @Test func trimsTopOnDelete() throws {
        var tree = try root([
            "3jqfcqzm3fn2j", "3jqfcqzm3fo2j", "3jqfcqzm3fp2j", "3jqfcqzm3fs2j", "3jqfcqzm3ft2j", "3jqfcqzm3fu2j",
        ])
        #expect(tree.layer == 1)
        #expect(tree.rootCID.description == "bafyreifnqrwbk6ffmyaz5qtujqrzf5qmxf7cbxvgzktl4e3gabuxbtatv4")
        tree = try tree.deleting("com.example.record/3jqfcqzm3fs2j")
        #expect(tree.layer == 0)
        #expect(try tree.leafCount() == 5)
        #expect(tree.rootCID.description == "bafyreie4kjuxbwkhzg2i5dljaswcroeih4dgiqq6pazcmunwt2byd725vi")
    }

    @Test func insertionSplitsTwoLayersDown() throws {
        let l1 = "bafyreiettyludka6fpgp33stwxfuwhkzlur6chs4d2v4nkmq2j3ogpdjem"
        let l2 = "bafyreid2x5eqs4w4qxvc5jiwda4cien3gw2q6cshofxwnvv7iucrmfohpm"
        var tree = try root([
            "3jqfcqzm3fo2j", "3jqfcqzm3fp2j", "3jqfcqzm3fr2j", "3jqfcqzm3fs2j", "3jqfcqzm3ft2j", "3jqfcqzm3fz2j",
            "3jqfcqzm4fc2j", "3jqfcqzm4fd2j", "3jqfcqzm4ff2j", "3jqfcqzm4fg2j", "3jqfcqzm4fh2j",
        ])
        #expect(tree.layer == 1)
        #expect(tree.rootCID.description == l1)
        tree = try tree.adding("com.example.record/3jqfcqzm3fx2j", Self.cid1)
        #expect(tree.layer == 2)
        #expect(try tree.leafCount() == 12)
        #expect(tree.rootCID.description == l2)
        tree = try tree.deleting("com.example.record/3jqfcqzm3fx2j")
        #expect(tree.layer == 1)
        #expect(tree.rootCID.description == l1)
    }

    @Test func newLayersTwoHigher() throws {
        let l0 = "bafyreidfcktqnfmykz2ps3dbul35pepleq7kvv526g47xahuz3rqtptmky"
        let l2 = "bafyreiavxaxdz7o7rbvr3zg2liox2yww46t7g6hkehx4i4h3lwudly7dhy"
        let l2b = "bafyreig4jv3vuajbsybhyvb7gggvpwh2zszwfyttjrj6qwvcsp24h6popu"
        var tree = try root(["3jqfcqzm3ft2j", "3jqfcqzm3fz2j"])
        #expect(tree.rootCID.description == l0)
        tree = try tree.adding("com.example.record/3jqfcqzm3fx2j", Self.cid1)
        #expect(tree.layer == 2)
        #expect(tree.rootCID.description == l2)
        tree = try tree.deleting("com.example.record/3jqfcqzm3fx2j")
        #expect(tree.layer == 0)
        #expect(tree.rootCID.description == l0)
        tree = try tree.adding("com.example.record/3jqfcqzm3fx2j", Self.cid1)
        tree = try tree.adding("com.example.record/3jqfcqzm4fd2j", Self.cid1)
        #expect(try tree.leafCount() == 4)
        #expect(tree.rootCID.description == l2b)
        tree = try tree.deleting("com.example.record/3jqfcqzm4fd2j")
        #expect(tree.rootCID.description == l2)
    }
}
