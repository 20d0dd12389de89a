import ATCore
import ATCrypto
import ATRepo
import Foundation
import GRDB
import SQLiteSupport
import Synchronization
import TestFixtures
import Testing

@testable import ActorStore

/// Many writers and readers over more actors than the handle cache holds, so handles are evicted mid-flight.
@Suite struct ConcurrencyTests {
    final class Tally: Sendable {
        /// Per actor, every acknowledged record: path → the CID its last acknowledged write returned.
        let expected = Mutex<[DID: [String: CID]]>([:])
        let creates = Mutex<[DID: Int]>([:])
        let deletes = Mutex<[DID: Int]>([:])
        let commits = Mutex(0)
        let busyErrors = Mutex(0)
        let maxOpenFiles = Mutex(0)

        /// Records an acknowledged commit.
        func acknowledge(_ commit: CommitData, did: DID) {
            expected.withLock { expected in
                for op in commit.ops {
                    expected[did, default: [:]][op.path] = op.action == .delete ? nil : op.cid
                }
            }
            creates.withLock { $0[did, default: 0] += commit.ops.filter { $0.action == .create }.count }
            deletes.withLock { $0[did, default: 0] += commit.ops.filter { $0.action == .delete }.count }
            commits.withLock { $0 += 1 }
        }
    }

    /// The three commits writer `writer` makes on its own paths: creates, an update guarded by `swapRecord`, a delete
    /// and sometimes a like. Follows of the same DID have identical content, so actors hold records sharing a block.
    static func writes(writer: Int, step: Int, previous: CommitData?) -> [RepoWrite] {
        let base = "3kw\(writer)"
        switch step {
        case 0:
            return [
                .create(postCollection, rkey(base + "a"), post("writer \(writer) a")),
                .create(followCollection, rkey(base + "f"), follow(testDID(900 + writer % 3))),
            ]
        case 1:
            let postCID = previous!.ops[0].cid!
            return [
                .update(postCollection, rkey(base + "a"), post("writer \(writer) a v2"), swapRecord: .cid(postCID)),
                .create(postCollection, rkey(base + "b"), post("writer \(writer) b"), swapRecord: .absent),
            ]
        default:
            var writes: [RepoWrite] = [
                writer % 2 == 0
                    ? .delete(followCollection, rkey(base + "f"))
                    : .delete(postCollection, rkey(base + "b"), swapRecord: .cid(previous!.ops[1].cid!))
            ]
            if writer % 4 == 1 {
                writes.append(.create(likeCollection, rkey(base + "l"), like("at://\(testDID(900).rawValue)/app.bsky.feed.post/3kx")))
            }
            return writes
        }
    }

    @Test func twoHundredWritersOverTwentyActorsWithEvictions() async throws {
        FileDescriptorLimit.raise()
        try await withTemporaryDirectory { dir in
            let actorCount = 20
            let writerTasks = 200
            let commitsPerTask = 3
            let readerTasks = 40
            let readsPerTask = 15
            let store = try makeStore(dir, handles: 4, keys: 4)
            let dids = (0..<actorCount).map { testDID(100 + $0) }
            var keys: [DID: Secp256k1VerifyingKey] = [:]
            for did in dids { keys[did] = try await createRepoActor(store, did).publicKey }
            await store.closeAllHandles()
            let opensBefore = store.handles.counts.opened
            let evictionsBefore = store.handles.counts.evicted
            let filesBefore = openFiles(under: dir)
            let totalBefore = FileDescriptorLimit.openCount() ?? 0

            let tally = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writerTasks {
                    group.addTask {
                        let did = dids[writer % actorCount]
                        var previous: CommitData?
                        for step in 0..<commitsPerTask {
                            let writes = Self.writes(writer: writer, step: step, previous: previous)
                            do {
                                let commit = try await store.transact(did) { txn in
                                    try txn.repo.processWrites(writes, swapCommit: nil)
                                }
                                tally.acknowledge(commit, did: did)
                                previous = commit
                            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                                tally.busyErrors.withLock { $0 += 1 }
                                throw error
                            }
                        }
                    }
                }
                for reader in 0..<readerTasks {
                    group.addTask {
                        for read in 0..<readsPerTask {
                            let did = dids[(reader * 7 + read) % actorCount]
                            // In one snapshot: the commit and tree load, the record index has exactly the tree's
                            // records, and listed records decode from their blocks.
                            let consistent = try await store.read(did) { reader -> Bool in
                                let repo = try reader.repo.load()
                                let tree = try repo.data.entries()
                                let index = try reader.record.listAll()
                                let indexByPath = Dictionary(uniqueKeysWithValues: index.map {
                                    ("\($0.uri.collection!.rawValue)/\($0.uri.recordKey!.rawValue)", $0.cid)
                                })
                                let listed = try reader.record.listRecords(collection: "app.bsky.feed.post", limit: 10)
                                return tree.count == index.count
                                    && tree.allSatisfy { indexByPath[$0.key] == $0.value }
                                    && listed.allSatisfy { $0.value["$type"]?.string == "app.bsky.feed.post" }
                            }
                            #expect(consistent)
                            let open = openFiles(under: dir)
                            tally.maxOpenFiles.withLock { $0 = max($0, open.count) }
                            // One pool per file: its writer and at most two readers hold `store.sqlite` open.
                            let perDatabase = Dictionary(grouping: open.filter { $0.hasSuffix("/store.sqlite") }) { $0 }
                            #expect(perDatabase.values.allSatisfy { $0.count <= 3 })
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(tally.busyErrors.withLock { $0 } == 0)

            // Evictions happened mid-flight (handles were reopened), and the cache keeps only its capacity.
            let counts = store.handles.counts
            // Commits hold leases long enough that an evicted handle is usually retired and reused rather than
            // reopened, so evictions are counted directly.
            #expect(counts.evicted - evictionsBefore > actorCount)
            #expect(counts.opened - opensBefore >= actorCount)
            #expect(counts.cached <= 4)
            #expect(counts.leases == 0)
            await store.close()
            #expect(store.handles.counts.closed == store.handles.counts.opened)
            #expect(openFiles(under: dir) == filesBefore)
            #expect(filesBefore.isEmpty)
            let totalAfter = FileDescriptorLimit.openCount() ?? 0
            // Other suites run in parallel, so the process-wide count is informational; files under `dir` are exact.
            print(
                "fds: process \(totalBefore) -> \(totalAfter), max open under test dir \(tally.maxOpenFiles.withLock { $0 }),"
                    + " opens \(counts.opened - opensBefore), evictions \(counts.evicted - evictionsBefore) for \(actorCount) actors"
            )

            // Every repo verifies (signature with the actor's key, MST, every record present) from a CAR exported
            // through a fresh store; its records are exactly the acknowledged ones, and so is the record index.
            let fresh = try makeStore(dir, handles: 2)
            #expect(tally.commits.withLock { $0 } == writerTasks * commitsPerTask)
            let expected = tally.expected.withLock { $0 }
            let creates = tally.creates.withLock { $0 }
            let deletes = tally.deletes.withLock { $0 }
            for did in dids {
                let key = try #require(keys[did])
                let car = try await fresh.read(did) { try $0.repo.exportCAR() }
                let verified = try RepoVerifier.verify(car: car, did: did, key: key)
                let imported = try Repo.importCAR(car, into: MemoryBlockstore(), did: did, key: key)
                #expect(imported.cid == verified.cid)
                #expect(try imported.data.leafCount() == verified.records.count)
                let records = Dictionary(uniqueKeysWithValues: verified.records.map { ($0.key, $0.cid) })
                #expect(records.count == creates[did, default: 0] - deletes[did, default: 0], "actor \(did)")
                #expect(records == expected[did, default: [:]], "actor \(did)")
                #expect(try await indexedRecords(fresh, did) == records, "actor \(did)")
                #expect(try await fresh.read(did) { try $0.repo.root()?.cid } == verified.cid)
            }
            await fresh.close()
            #expect(openFiles(under: dir).isEmpty)
        }
    }
}
