import ATCore
import ATCrypto
import ATRepo
import Foundation
import Synchronization
import TestFixtures
import Testing

@testable import ActorStore

/// Writes of one actor that queue while its writer is busy share one transaction, each in its own savepoint.
@Suite struct CoalescingTests {
    struct Refused: Error, Equatable {}

    /// What the writes observed.
    final class Observed: Sendable {
        let holding = Atomic<Bool>(false)
        let groups = Atomic<Int>(0)
        let order = Mutex<[Int]>([])
        var isHolding: Bool { holding.load(ordering: .acquiring) }
        var groupCount: Int { groups.load(ordering: .relaxed) }
    }

    @Test func queuedWritesShareATransactionAndAFailingOneRollsBackAlone() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(1)
            _ = try await createRepoActor(store, did)
            // Hold the actor's writer so the next writes queue behind it.
            let release = DispatchSemaphore(value: 0)
            let observed = Observed()
            let holder = Task {
                try await store.transact(did) { _ in
                    observed.holding.store(true, ordering: .releasing)
                    release.wait()
                }
            }
            #expect(await eventually { observed.isHolding })
            let results = try await withThrowingTaskGroup(of: (Int, Result<CID, any Error>).self) { tasks in
                for n in 0..<6 {
                    tasks.addTask {
                        let result: Result<CID, any Error>
                        do {
                            result = .success(try await store.transactCoalescing(did) { _ in
                                observed.groups.add(1, ordering: .relaxed)
                            } _: { txn -> CommitData in
                                if n == 3 { _ = try txn.repo.processWrites([.create(postCollection, rkey("3n\(n)"), post("x"))], swapCommit: nil); throw Refused() }
                                return try txn.repo.processWrites(
                                    [.create(postCollection, rkey("3kx\(n)aaaaaaa"), post("write \(n)"))], swapCommit: nil)
                            } committed: { commit in
                                observed.order.withLock { $0.append(n) }
                                return commit.cid
                            })
                        } catch {
                            result = .failure(error)
                        }
                        return (n, result)
                    }
                }
                // Every write is queued (one leader waiting for the writer, five behind it) before the writer frees.
                #expect(await eventually { store.coalescer.queuedCount(for: did) == 6 })
                release.signal()
                return try await tasks.reduce(into: [Int: Result<CID, any Error>]()) { $0[$1.0] = $1.1 }
            }
            _ = try await holder.value
            #expect(observed.groupCount <= 2)
            #expect(results.count == 6)
            #expect(throws: Refused.self) { try results[3]!.get() }
            let records = try await indexedRecords(store, did)
            #expect(records.count == 5)
            #expect(!records.keys.contains { $0.hasSuffix("/3n3") })
            // Committed callbacks run in arrival order within a group; every successful write ran one.
            #expect(Set(observed.order.withLock { $0 }) == [0, 1, 2, 4, 5])
            for n in [0, 1, 2, 4, 5] { _ = try results[n]!.get() }
        }
    }
}
