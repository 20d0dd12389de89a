import ATCore
import ATRepo
import Foundation
import GRDB
import Synchronization
import TestFixtures
import Testing

@testable import Sequencer

/// Sequencing: seq allocation, atomic groups, deletion, the counter floor, pruning, recovery queries.
@Suite struct SequencerTests {
    @Test func seqsStartAtOneAndIncrease() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            #expect(try await sequencer.currentSeq() == 0)
            #expect(try await sequencer.sequence([identityEvent(1)]) == [1])
            #expect(try await sequencer.sequence([identityEvent(2), identityEvent(3)]) == [2, 3])
            #expect(try await sequencer.sequence([]) == [])
            #expect(try await sequencer.currentSeq() == 3)
            let range = try await sequencer.requestSeqRange(after: nil)
            #expect(range.events.map(\.seq) == [1, 2, 3])
            #expect(try range.events.map { try $0.event() } == [identityEvent(1), identityEvent(2), identityEvent(3)])
            #expect(try await sequencer.requestSeqRange(after: 1, limit: 1).events.map(\.seq) == [2])
            #expect(try await sequencer.nextEvent(after: 3) == nil)
        }
    }

    @Test func concurrentSequencingIsGapFreeAndIncreasing() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let threads = 8
            let perThread = 40
            let results = Mutex<[[[Int64]]]>([])
            // GCD threads, not the cooperative pool: `sequenceBlocking` blocks while it waits for the writer.
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                var batches: [[Int64]] = []
                for n in 0..<perThread {
                    let batch = n % 3 == 0 ? [identityEvent(thread), identityEvent(thread)] : [identityEvent(thread)]
                    batches.append((try? sequencer.sequenceBlocking(batch)) ?? [])
                }
                results.withLock { $0.append(batches) }
            }
            let perThreadBatches = results.withLock { $0 }
            #expect(perThreadBatches.count == threads)
            for batches in perThreadBatches {
                #expect(batches.map(\.count) == (0..<perThread).map { $0 % 3 == 0 ? 2 : 1 })
                // A group's seqs are consecutive; one thread's seqs increase.
                for seqs in batches { #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $1 == $0 + 1 }) }
                let mine = batches.flatMap { $0 }
                #expect(mine == mine.sorted())
            }
            let all = perThreadBatches.flatMap { $0.flatMap { $0 } }.sorted()
            #expect(all == Array(1...Int64(all.count)))
            let stored = try await sequencer.requestSeqRange(after: nil, limit: 10_000).events.map(\.seq)
            #expect(stored == all)
        }
    }

    @Test func accountCreationIsOneAtomicGroup() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let did = testDID(3)
            let genesis = try Repo.formatInitCommit(storage: MemoryBlockstore(), did: did, keypair: testKeypair)
            let seqs = try await sequencer.sequenceAccountCreation(did: did, handle: try Handle("new.test"), commit: genesis)
            #expect(seqs == [1, 2, 3, 4])
            let events = try await sequencer.requestSeqRange(after: nil).events
            #expect(events.map(\.type) == [.identity, .account, .append, .sync])
            #expect(Set(events.map(\.time)).count == 1)
            #expect(try events[0].event() == .identity(IdentityEvent(did: did, handle: try Handle("new.test"))))
            #expect(try events[1].event() == .account(AccountEvent(did: did, active: true)))
            #expect(try sequencer.lastCommitRev(did: did) == genesis.rev)

            let block = try #require(genesis.newBlocks[genesis.cid])
            let activation = try await sequencer.sequenceAccountActivation(
                did: did, handle: try Handle("new.test"), commitCID: genesis.cid, commitBlock: block)
            #expect(activation == [5, 6, 7])
            let types = try await sequencer.requestSeqRange(after: 4).events.map(\.type)
            #expect(types == [.account, .identity, .sync])
        }
    }

    @Test func aFailingGroupLeavesNothing() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence([identityEvent(1)])
            await #expect(throws: (any Error).self) {
                try await sequencer.enqueue([identityEvent(2), identityEvent(3)]) { db, _ in
                    try db.execute(sql: "SELECT * FROM no_such_table")
                }.seqs
            }
            #expect(try await sequencer.requestSeqRange(after: nil).events.map(\.seq) == [1])
            // The rolled-back seqs are not burnt: SQLite rolls the counter back with the rows.
            #expect(try await sequencer.sequence([identityEvent(4)]) == [2])
        }
    }

    @Test func deletionLeavesOnlyTheDeletedEvent() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let gone = testDID(1)
            let kept = testDID(2)
            try await sequencer.sequenceIdentity(did: gone, handle: try Handle("gone.test"))
            try await sequencer.sequenceIdentity(did: kept)
            try await sequencer.sequenceAccountStatus(did: gone, active: false, status: .deactivated)
            let seq = try await sequencer.sequenceAccountDeletion(did: gone)
            #expect(seq == 4)
            let events = try await sequencer.requestSeqRange(after: nil).events
            #expect(events.map(\.seq) == [2, 4])
            #expect(try events[1].event() == .account(AccountEvent(did: gone, active: false, status: .deleted)))
            #expect(try sequencer.lastEvent(for: gone)?.seq == 4)
            #expect(try sequencer.lastEvent(for: kept)?.seq == 2)
            #expect(try await sequencer.sequence([identityEvent(9)]) == [5])
        }
    }

    @Test func ensureSeqAtLeastRaisesButNeverLowers() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try sequencer.ensureSeqAtLeast(100)  // an empty, freshly restored file
            #expect(try await sequencer.currentSeq() == 100)
            #expect(try await sequencer.sequence([identityEvent(1)]) == [101])
            try sequencer.ensureSeqAtLeast(50)
            #expect(try await sequencer.sequence([identityEvent(1)]) == [102])
            try sequencer.ensureSeqAtLeast(1_000)
            // A cursor up to the floor is not in the future even before a new event exists.
            #expect(try await sequencer.currentSeq() == 1_000)
            #expect(try await sequencer.sequence([identityEvent(1)]) == [1_001])
        }
        try await withTemporaryDirectory { dir in
            // Restore an older copy of the file, then raise the floor above what relays saw.
            let url = dir.appendingPathComponent("sequencer.sqlite")
            do {
                let sequencer = try makeSequencer(dir)
                for n in 0..<5 { try await sequencer.sequence([identityEvent(n)]) }
            }
            let backup = dir.appendingPathComponent("backup.sqlite")
            try DatabaseQueue(path: url.path).backup(to: DatabaseQueue(path: backup.path))
            do {
                let sequencer = try makeSequencer(dir)
                for n in 0..<5 { try await sequencer.sequence([identityEvent(n)]) }
                #expect(try await sequencer.currentSeq() == 10)
            }
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: url.path + suffix)
            }
            try FileManager.default.copyItem(at: backup, to: url)
            let restored = try makeSequencer(dir)
            #expect(try await restored.currentSeq() == 5)
            try restored.ensureSeqAtLeast(10)
            #expect(try await restored.sequence([identityEvent(1)]) == [11])
        }
    }

    @Test func pruningKeepsTheWindowTheNewestRowAndEachAccountsLastCommit() async throws {
        try await withTemporaryDirectory { dir in
            let clock = TestWallClock()
            let sequencer = try makeSequencer(
                dir, clock: clock, backfillLimit: .seconds(3_600), retention: .seconds(7_200))
            #expect(sequencer.configuration.retention == .seconds(7_200))
            let quiet = testDID(1)
            let busy = testDID(2)
            let store = MemoryBlockstore()
            let repo = try Repo.create(storage: store, did: quiet, keypair: testKeypair)
            let (_, quietCommit) = try repo.applyWrites(
                [.create(try NSID("app.bsky.feed.post"), try RecordKey("a"), testRecord("a"))], keypair: testKeypair)
            try await sequencer.sequenceCommit(did: quiet, commit: quietCommit)  // 1: quiet's last commit
            try await sequencer.sequenceIdentity(did: quiet)  // 2
            try await sequencer.sequenceIdentity(did: busy)  // 3
            clock.advance(by: .seconds(3 * 3_600))
            try await sequencer.sequenceIdentity(did: busy)  // 4: inside the window

            #expect(try await sequencer.prune() == 2)
            #expect(try await sequencer.requestSeqRange(after: nil).events.map(\.seq) == [1, 4])
            #expect(try sequencer.lastCommitRev(did: quiet) == quietCommit.rev)

            clock.advance(by: .seconds(10 * 3_600))
            #expect(try await sequencer.prune() == 0)  // 4 is the newest row
            #expect(try await sequencer.requestSeqRange(after: nil).events.map(\.seq) == [1, 4])
            #expect(try await sequencer.sequence([identityEvent(5)]) == [5])
            #expect(try await sequencer.prune() == 1)
            #expect(try await sequencer.requestSeqRange(after: nil).events.map(\.seq) == [1, 5])
        }
    }

    @Test func pruningInBatches() async throws {
        try await withTemporaryDirectory { dir in
            let clock = TestWallClock()
            let sequencer = try makeSequencer(dir, clock: clock, backfillLimit: .seconds(60), retention: .seconds(60))
            for n in 0..<25 { try await sequencer.sequence([identityEvent(n)]) }
            clock.advance(by: .seconds(120))
            try await sequencer.sequence([identityEvent(99)])
            #expect(try await sequencer.prune(batchSize: 4) == 25)
            #expect(try await sequencer.requestSeqRange(after: nil).events.map(\.seq) == [26])
        }
    }

    @Test func retentionIsNeverShorterThanTheBackfillWindow() {
        let configuration = Sequencer.Configuration(
            databaseURL: URL(fileURLWithPath: "/tmp/x.sqlite"), backfillLimit: .seconds(100), retention: .seconds(10))
        #expect(configuration.retention == .seconds(100))
    }

    @Test func recoveryStatusComparesTheRootWithTheLastAnnouncedRev() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let did = testDID(4)
            let store = MemoryBlockstore()
            let repo = try Repo.create(storage: store, did: did, keypair: testKeypair)
            let genesisCID = repo.cid
            let genesisBlock = try #require(try store.getBytes(genesisCID))
            // Never sequenced: reconcile emits a #sync.
            #expect(
                try sequencer.recoveryStatus(did: did, rootRev: repo.commit.rev) == .missingEvents(lastSequenced: nil))
            let first = try sequencer.reconcile(commitCID: genesisCID, commitBlock: genesisBlock)
            #expect(first.seq == 1)
            #expect(try sequencer.reconcile(commitCID: genesisCID, commitBlock: genesisBlock).status == .upToDate)

            // A commit became durable but its event was lost (crash between the two writes).
            let (_, lost) = try repo.applyWrites(
                [.create(try NSID("app.bsky.feed.post"), try RecordKey("x"), testRecord("x"))], keypair: testKeypair)
            let lostBlock = try #require(lost.newBlocks[lost.cid])
            let result = try sequencer.reconcile(commitCID: lost.cid, commitBlock: lostBlock)
            #expect(result.status == .missingEvents(lastSequenced: repo.commit.rev))
            let sync = try #require(try await sequencer.requestSeqRange(after: 1).events.first)
            #expect(sync.seq == result.seq)
            #expect(try sync.event() == .sync(try SyncEvent(did: did, commit: lost)))
            #expect(try sequencer.lastCommitRev(did: did) == lost.rev)
            #expect(try sequencer.lastCommitRevs() == [did: lost.rev])

            // The actor store went back to the genesis commit (an older backup): no #sync at an older rev.
            let behind = try sequencer.reconcile(commitCID: genesisCID, commitBlock: genesisBlock)
            #expect(behind.status == .repoBehind(lastSequenced: lost.rev))
            #expect(behind.seq == nil)
        }
    }

    @Test func aSecondOpenOfTheFileSeesTheSameLog() async throws {
        try await withTemporaryDirectory { dir in
            let first = try makeSequencer(dir)
            try await first.sequence([identityEvent(1), identityEvent(2)])
            let second = try makeSequencer(dir)
            #expect(try await second.currentSeq() == 2)
            #expect(try await second.sequence([identityEvent(3)]) == [3])
            #expect(try await first.sequence([identityEvent(4)]) == [4])
        }
    }
}
