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
    /// A repo of `records` records in three collections, with random keys from `seed`.
    static func makeRepo(records: Int, seed: UInt64 = 1) throws -> (Repo, MemoryBlockstore) {
        var rng = SeededRNG(seed: seed)
        let store = MemoryBlockstore()
        let writes = (0..<records).map { n in
            RepoWrite.create(TestRepo.collections[n % 3], TestRepo.randomRKey(using: &rng), TestRepo.record(n))
        }
        return (try Repo.create(storage: store, did: TestRepo.did, keypair: TestRepo.keypair, writes: writes), store)
    }

    /// A random batch against the current content: creates, updates, deletes (several at high layers, which merge
    /// subtrees when removed).
    static func randomBatch(_ repo: Repo, size: Int, counter: inout Int, rng: inout SeededRNG) throws -> [RepoWrite] {
        let existing = try repo.data.entries().map(\.key)
        let existingSet = Set(existing)
        var used: Set<String> = []
        var writes: [RepoWrite] = []
        // Keys above layer 0 first, so their deletion (a subtree merge) is well represented.
        let high = existing.filter { MST.layer(of: $0) > 0 }
        for _ in 0..<size {
            counter += 1
            let roll = Int.random(in: 0..<10, using: &rng)
            let pool = roll == 9 && !high.isEmpty ? high : existing
            if roll < 5 || pool.isEmpty {
                let collection = TestRepo.collections.randomElement(using: &rng)!
                let rkey = TestRepo.randomRKey(using: &rng)
                let write = RepoWrite.create(collection, rkey, TestRepo.record(counter, collection))
                if !existingSet.contains(write.path), used.insert(write.path).inserted { writes.append(write) }
                continue
            }
            let path = pool.randomElement(using: &rng)!
            guard used.insert(path).inserted else { continue }
            let parts = path.split(separator: "/")
            let collection = try NSID(parts[0])
            let rkey = try RecordKey(parts[1])
            if roll < 7 {
                writes.append(.update(collection, rkey, TestRepo.record(counter, collection)))
            } else {
                writes.append(.delete(collection, rkey))
            }
        }
        return writes
    }

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
