import ATCore
import ATCrypto
import Testing

@testable import ATRepo

@Suite struct RepoTests {
    @Test func commitSignsAndVerifies() throws {
        let data = MST(storage: MemoryBlockstore()).rootCID
        let rev = try TID("3jzfcijpj2z2a")
        let commit = try Commit.sign(did: TestRepo.did, data: data, rev: rev, keypair: TestRepo.keypair)
        #expect(commit.sig.count == 64)
        #expect(commit.verifySignature(with: TestRepo.keypair.publicKey))
        #expect(!commit.verifySignature(with: TestRepo.otherKeypair.publicKey))
        let parsed = try Commit(bytes: commit.bytes)
        #expect(parsed == commit)
        #expect(parsed.cid == commit.cid)
        #expect(commit.value["prev"] == .null)
        #expect(commit.value["version"] == .integer(3))
        // The unsigned encoding is exactly {did, rev, data, prev, version}.
        #expect(
            try DAGCBOR.decode(commit.unsignedBytes).map?.keys.sorted() == ["data", "did", "prev", "rev", "version"])
        var tampered = commit
        tampered.rev = try TID("3jzfcijpj2z2b")
        #expect(!tampered.verifySignature(with: TestRepo.keypair.publicKey))
    }

    @Test func commitParsingRejectsBadShapes() throws {
        let commit = try Commit.sign(
            did: TestRepo.did, data: TestRepo.cid(1), rev: try TID("3jzfcijpj2z2a"), keypair: TestRepo.keypair)
        guard case .map(let map) = commit.value else {
            Issue.record()
            return
        }
        for (field, value) in [
            ("version", LexValue.integer(4)), ("data", .string("x")), ("rev", .string("nope")), ("extra", .null),
            ("did", .string("not a did")), ("prev", .integer(1)),
        ] {
            var bad = map
            bad[field] = value
            #expect(throws: RepoError.self) { try Commit(value: .map(bad)) }
        }
        var missing = map
        missing["sig"] = nil
        #expect(throws: RepoError.self) { try Commit(value: .map(missing)) }
    }

    @Test func genesisAndWrites() throws {
        let store = MemoryBlockstore()
        var repo = try Repo.create(storage: store, did: TestRepo.did, keypair: TestRepo.keypair)
        #expect(repo.data.isEmpty)
        #expect(try store.root()?.cid == repo.cid)
        let post = TestRepo.collections[0]
        let (next, commit) = try repo.applyWrites(
            [
                .create(post, try RecordKey("a"), TestRepo.record(1)),
                .create(post, try RecordKey("b"), TestRepo.record(2)),
            ],
            keypair: TestRepo.keypair)
        #expect(commit.ops.map(\.action) == [.create, .create])
        #expect(commit.ops[0].cid == DAGCBOR.cid(of: TestRepo.record(1)))
        #expect(next.commit.rev > repo.commit.rev)
        repo = next
        #expect(try repo.getRecord(post, try RecordKey("a"))?.value == TestRepo.record(1))
        let (after, second) = try repo.applyWrites(
            [.update(post, try RecordKey("a"), TestRepo.record(3)), .delete(post, try RecordKey("b"))],
            keypair: TestRepo.keypair)
        #expect(second.ops[0].prev == DAGCBOR.cid(of: TestRepo.record(1)))
        #expect(
            second.ops[1]
                == RepoOp(
                    action: .delete, path: "app.bsky.feed.post/b", cid: nil, prev: DAGCBOR.cid(of: TestRepo.record(2))))
        #expect(second.removedCIDs.contains(DAGCBOR.cid(of: TestRepo.record(1))))
        #expect(second.removedCIDs.contains(repo.cid))
        #expect(try store.has(DAGCBOR.cid(of: TestRepo.record(2))) == false)
        #expect(try after.getRecord(post, try RecordKey("b")) == nil)
        #expect(throws: RepoError.recordExists("app.bsky.feed.post/a")) {
            try after.formatCommit([.create(post, try RecordKey("a"), TestRepo.record(1))], keypair: TestRepo.keypair)
        }
        #expect(throws: RepoError.recordNotFound("app.bsky.feed.post/zz")) {
            try after.formatCommit([.delete(post, try RecordKey("zz"))], keypair: TestRepo.keypair)
        }
        #expect(throws: RepoError.duplicateWrite("app.bsky.feed.post/a")) {
            try after.formatCommit(
                [.update(post, try RecordKey("a"), TestRepo.record(5)), .delete(post, try RecordKey("a"))],
                keypair: TestRepo.keypair)
        }
    }

    @Test func sharedRecordBlocksSurviveDeletes() throws {
        let store = MemoryBlockstore()
        let like = TestRepo.collections[1]
        let same = TestRepo.record(7, like)
        let repo = try Repo.create(
            storage: store, did: TestRepo.did, keypair: TestRepo.keypair,
            writes: [.create(like, try RecordKey("a"), same), .create(like, try RecordKey("b"), same)])
        let (after, commit) = try repo.applyWrites([.delete(like, try RecordKey("a"))], keypair: TestRepo.keypair)
        #expect(!commit.removedCIDs.contains(DAGCBOR.cid(of: same)))
        #expect(try after.getRecord(like, try RecordKey("b"))?.value == same)
        _ = try after.exportCAR()
        // With an index that says "not referenced", the block is dropped.
        let other = try after.formatCommit([.delete(like, try RecordKey("b"))], keypair: TestRepo.keypair) { _ in false
        }
        #expect(other.removedCIDs.contains(DAGCBOR.cid(of: same)))
    }

    @Test func revisionsIncreaseEvenWithASkewedClock() throws {
        let store = MemoryBlockstore()
        let future = TIDGenerator(clockID: 1) { 4_000_000_000_000_000 }
        let past = TIDGenerator(clockID: 2) { 1_000_000_000_000_000 }
        var repo = try Repo.create(storage: store, did: TestRepo.did, keypair: TestRepo.keypair, revs: future)
        for n in 0..<3 {
            let previous = repo.commit.rev
            repo = try repo.applyWrites(
                [.create(TestRepo.collections[0], try RecordKey("r\(n)"), TestRepo.record(n))],
                keypair: TestRepo.keypair,
                revs: past
            ).repo
            #expect(repo.commit.rev > previous)
        }
    }

    @Test func resignKeepsTheDataAndClearsTheFloor() throws {
        let (repo, _) = try TestRepo.makeRepo(records: 5)
        let past = TIDGenerator(clockID: 3) { 1_000_000_000_000_000 }
        // A revision announced by a newer state the store no longer has (a restore from an older backup).
        let announced = TIDGenerator(clockID: 4) { 4_000_000_000_000_000 }.next()
        let resigned = try repo.formatResign(keypair: TestRepo.keypair, after: announced, revs: past)
        #expect(resigned.rev > announced)
        #expect(resigned.since == repo.commit.rev)
        #expect(resigned.data == repo.data.rootCID)
        #expect(resigned.prevData == repo.data.rootCID)
        #expect(resigned.ops.isEmpty)
        #expect(resigned.removedCIDs == [repo.cid])
        #expect(resigned.newBlocks.cids == [resigned.cid])
        let commit = try Commit(bytes: try #require(resigned.newBlocks[resigned.cid]))
        #expect(commit.verifySignature(with: TestRepo.keypair.publicKey))
    }

    @Test(arguments: [0, 1, 250])
    func exportImportRoundTrip(records: Int) throws {
        let (repo, _) = try TestRepo.makeRepo(records: records)
        let car = try repo.exportCAR()
        let (roots, blocks) = try CARReader.read(car)
        #expect(roots == [repo.cid])
        #expect(blocks.first?.cid == repo.cid)
        #expect(Set(blocks.map(\.cid)).count == blocks.count)
        #expect(blocks[1].cid == repo.data.rootCID)
        let target = MemoryBlockstore()
        let imported = try Repo.importCAR(car, into: target, did: TestRepo.did, key: TestRepo.keypair.publicKey)
        #expect(imported.cid == repo.cid)
        #expect(try imported.data.entries().map(\.key) == repo.data.entries().map(\.key))
        #expect(try imported.data.entries().map(\.value) == repo.data.entries().map(\.value))
        #expect(try imported.exportCAR() == car)
        // Streaming export produces the same bytes.
        var streamed: [UInt8] = []
        try repo.exportCAR(chunkSize: 1000) { streamed.append(contentsOf: $0) }
        #expect(streamed == car)
    }

    @Test(arguments: [77, 78, 79, 80])
    func exportImportAfterManyCommits(seed: UInt64) throws {
        var rng = SeededRNG(seed: seed)
        var (repo, store) = try TestRepo.makeRepo(records: 100, seed: seed &* 31 &+ 5)
        var counter = 0
        for _ in 0..<15 {
            let writes = try TestRepo.randomBatch(repo, size: 20, counter: &counter, rng: &rng)
            repo = try repo.applyWrites(writes, keypair: TestRepo.keypair).repo
        }
        // Storage holds exactly the reachable blocks: nothing leaked, nothing lost.
        let verified = try RepoVerifier.verify(
            car: try repo.exportCAR(), did: TestRepo.did, key: TestRepo.keypair.publicKey)
        #expect(Set(verified.blocks.cids) == Set(store.allCIDs))
        let imported = try Repo.importCAR(
            try repo.exportCAR(), into: MemoryBlockstore(), key: TestRepo.keypair.publicKey)
        #expect(imported.data.rootCID == repo.data.rootCID)
        #expect(try imported.data.entries().map(\.key) == repo.data.entries().map(\.key))
        // Both continue identically.
        let more = try TestRepo.randomBatch(repo, size: 20, counter: &counter, rng: &rng)
        let a = try repo.formatCommit(more, keypair: TestRepo.keypair)
        let b = try imported.formatCommit(more, keypair: TestRepo.keypair)
        #expect(a.data == b.data)
        #expect(a.ops == b.ops)
    }

    @Test func exportSinceHoldsTheNewBlocks() throws {
        let (repo, _) = try TestRepo.makeRepo(records: 50)
        let since = repo.commit.rev
        let (after, commit) = try repo.applyWrites(
            [.create(TestRepo.collections[0], try RecordKey("new"), TestRepo.record(1000))], keypair: TestRepo.keypair)
        let (roots, blocks) = try CARReader.read(try after.exportCAR(since: since))
        #expect(roots == [after.cid])
        #expect(blocks.first?.cid == after.cid)
        #expect(Set(blocks.map(\.cid)) == Set(commit.newBlocks.cids))
    }
}
