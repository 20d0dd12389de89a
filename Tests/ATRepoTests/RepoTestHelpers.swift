import ATCore
import ATCrypto

@testable import ATRepo

/// A deterministic RNG (SplitMix64) so property tests replay from their seed.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestRepo {
    static let did = try! DID("did:plc:testrepo0000000000000000")
    static let keypair = try! Secp256k1Keypair(privateKey: Array(repeating: 0x11, count: 32))
    static let otherKeypair = try! Secp256k1Keypair(privateKey: Array(repeating: 0x22, count: 32))
    static let collections = ["app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow"].map { try! NSID($0) }

    /// A small record whose content depends on `n`.
    static func record(_ n: Int, _ collection: NSID = collections[0]) -> LexValue {
        .map(["$type": .string(collection.rawValue), "text": .string("record \(n)"), "n": .integer(Int64(n))])
    }

    /// A random record key made of TID-alphabet characters.
    static func randomRKey(using rng: inout SeededRNG) -> RecordKey {
        let alphabet = Array("234567abcdefghijklmnopqrstuvwxyz")
        return try! RecordKey(String((0..<13).map { _ in alphabet.randomElement(using: &rng)! }))
    }

    /// A fresh CID for a value `n` (no block needed).
    static func cid(_ n: Int) -> CID { DAGCBOR.cid(of: .integer(Int64(n))) }

    /// A tree built by adding `pairs` one at a time.
    static func tree(_ pairs: [(String, CID)], storage: any RepoStorage = MemoryBlockstore()) throws -> MST {
        var tree = MST(storage: storage)
        for (key, value) in pairs { tree = try tree.adding(key, value) }
        return tree
    }
}
