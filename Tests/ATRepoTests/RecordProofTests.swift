import ATCore
import ATCrypto
import Testing

@testable import ATRepo

/// ``RepoVerifier/verifyRecordProof(car:did:key:path:limits:)``: a `sync.getRecord`-style CAR (commit, covering
/// proof, record) verifies; a wrong key, DID or path, or a missing record block, does not.
@Suite struct RecordProofTests {
    /// The proof CAR for `path` in `repo`, optionally without the record block.
    static func proofCAR(_ repo: Repo, store: MemoryBlockstore, path: String, withRecord: Bool = true) throws
        -> [UInt8]
    {
        var blocks = BlockMap()
        blocks.set(repo.cid, try store.bytes(repo.cid))
        try repo.data.addCoveringProof(for: path, into: &blocks)
        if withRecord, let record = try repo.data.get(path) { blocks.set(record, try store.bytes(record)) }
        var writer = CARWriter(roots: [repo.cid])
        for (cid, bytes) in blocks { try writer.write(cid, bytes) }
        return try writer.finish()
    }

    @Test func aProofVerifiesAndTamperingIsRefused() throws {
        let (repo, store) = try TestRepo.makeRepo(records: 200)
        let path = try #require(try repo.data.entries().map(\.key).dropFirst(57).first)
        let car = try Self.proofCAR(repo, store: store, path: path)
        let (cid, bytes) = try RepoVerifier.verifyRecordProof(
            car: car, did: TestRepo.did, key: TestRepo.keypair.publicKey, path: path)
        #expect(try cid == repo.data.get(path))
        #expect(try bytes == store.bytes(cid))

        #expect(throws: RepoError.self) {
            try RepoVerifier.verifyRecordProof(
                car: car, did: TestRepo.did, key: TestRepo.otherKeypair.publicKey, path: path)
        }
        #expect(throws: RepoError.self) {
            try RepoVerifier.verifyRecordProof(
                car: car, did: try DID("did:plc:someoneelse000000000000"), key: TestRepo.keypair.publicKey,
                path: path)
        }
        let missing = try Self.proofCAR(repo, store: store, path: path, withRecord: false)
        #expect(throws: RepoError.self) {
            try RepoVerifier.verifyRecordProof(
                car: missing, did: TestRepo.did, key: TestRepo.keypair.publicKey, path: path)
        }
        // A path the proof does not cover: its nodes are absent (or it is not in the tree).
        #expect(throws: (any Error).self) {
            try RepoVerifier.verifyRecordProof(
                car: car, did: TestRepo.did, key: TestRepo.keypair.publicKey, path: "com.example.absent/xyz")
        }
    }
}
