import ATCore
import ATCrypto
import Testing

@testable import ATRepo

/// Sync 1.1: every commit's blocks must let a consumer invert its ops and reach `prevData`.
@Suite struct CommitProofTests {
    @Test(arguments: 0..<12)
    func invertingEveryCommitReproducesPrevData(seed: Int) throws {
        var rng = SeededRNG(seed: UInt64(1000 + seed))
        let store = MemoryBlockstore()
        var counter = 0
        let initial = (0..<Int.random(in: 0...400, using: &rng)).map { n in
            RepoWrite.create(TestRepo.collections[n % 3], TestRepo.randomRKey(using: &rng), TestRepo.record(-n))
        }
        var repo = try Repo.create(storage: store, did: TestRepo.did, keypair: TestRepo.keypair, writes: initial)
        for _ in 0..<25 {
            let writes = try TestRepo.randomBatch(
                repo, size: Int.random(in: 1...30, using: &rng), counter: &counter, rng: &rng)
            let commit = try repo.formatCommit(writes, keypair: TestRepo.keypair)
            #expect(commit.prevData == repo.data.rootCID)
            #expect(commit.since == repo.commit.rev)
            #expect(commit.rev > repo.commit.rev)
            // Only the event's blocks: the relevant (proof) blocks, in reverse and in forward order.
            let carBlocks = try CARReader.read(commit.firehoseCAR()).blocks
            var blocks = BlockMap()
            for block in carBlocks { blocks.set(block.cid, block.bytes) }
            #expect(
                try Repo.invertCommit(commitCID: commit.cid, blocks: commit.relevantBlocks, ops: commit.ops)
                    == commit.prevData)
            #expect(try Repo.invertCommit(commitCID: commit.cid, blocks: blocks, ops: commit.ops) == commit.prevData)
            #expect(
                try Repo.invertCommit(commitCID: commit.cid, blocks: commit.relevantBlocks, ops: commit.ops.reversed())
                    == commit.prevData)
            var shuffled = commit.ops
            shuffled.shuffle(using: &rng)
            #expect(
                try Repo.invertCommit(commitCID: commit.cid, blocks: commit.relevantBlocks, ops: shuffled)
                    == commit.prevData)
            try store.applyCommit(commit)
            repo = try Repo.load(storage: store)
            #expect(repo.cid == commit.cid)
        }
    }

    @Test func missingProofBlockFailsInversion() throws {
        let store = MemoryBlockstore()
        let initial = (0..<300).map {
            RepoWrite.create(TestRepo.collections[0], try! RecordKey("k\($0)"), TestRepo.record($0))
        }
        let repo = try Repo.create(storage: store, did: TestRepo.did, keypair: TestRepo.keypair, writes: initial)
        let commit = try repo.formatCommit(
            [.delete(TestRepo.collections[0], try RecordKey("k150"))], keypair: TestRepo.keypair)
        #expect(
            try Repo.invertCommit(commitCID: commit.cid, blocks: commit.relevantBlocks, ops: commit.ops)
                == commit.prevData)
        // Dropping any one MST node of the proof breaks inversion (the proof has no spare nodes for a delete).
        for cid in commit.relevantBlocks.cids where cid != commit.cid {
            var blocks = commit.relevantBlocks
            blocks.remove(cid)
            #expect(throws: (any Error).self) {
                try Repo.invertCommit(commitCID: commit.cid, blocks: blocks, ops: commit.ops)
            }
        }
    }

    @Test func opsThatDoNotMatchAreRejected() throws {
        let store = MemoryBlockstore()
        let repo = try Repo.create(
            storage: store, did: TestRepo.did, keypair: TestRepo.keypair,
            writes: [.create(TestRepo.collections[0], try RecordKey("a"), TestRepo.record(1))])
        let commit = try repo.formatCommit(
            [.create(TestRepo.collections[0], try RecordKey("b"), TestRepo.record(2))], keypair: TestRepo.keypair)
        var ops = commit.ops
        ops[0].cid = TestRepo.cid(99)
        #expect(throws: RepoError.self) {
            try Repo.invertCommit(commitCID: commit.cid, blocks: commit.relevantBlocks, ops: ops)
        }
        // An op missing from the event makes the recomputed prevData differ.
        let two = try repo.formatCommit(
            [
                .create(TestRepo.collections[0], try RecordKey("b"), TestRepo.record(2)),
                .create(TestRepo.collections[0], try RecordKey("c"), TestRepo.record(3)),
            ], keypair: TestRepo.keypair)
        #expect(
            try Repo.invertCommit(commitCID: two.cid, blocks: two.relevantBlocks, ops: [two.ops[0]]) != two.prevData)
    }
}
