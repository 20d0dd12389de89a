import ATCore
import ATCrypto
import Dispatch
import Foundation
import GRDB
import SQLiteSupport
import Synchronization
import TestFixtures
import Testing

@testable import ActorStore

@Suite struct ActorHandleCacheTests {
    /// A cache over real files that counts opens per DID.
    final class OpenCounter: Sendable {
        let counts = Mutex<[DID: Int]>([:])
    }

    final class CountingCache: Sendable {
        let opens = OpenCounter()
        let cache: ActorHandleCache
        let directory: ActorStore.Directory

        init(_ dir: URL, capacity: Int, openDelay: Duration = .zero) {
            let directory = ActorStore.Directory(url: dir)
            self.directory = directory
            let opens = self.opens
            self.cache = ActorHandleCache(capacity: capacity) { did, _ in
                opens.counts.withLock { $0[did, default: 0] += 1 }
                if openDelay > .zero { Thread.sleep(forTimeInterval: openDelay.timeIntervalForTests) }
                return try ActorHandle.open(
                    did: did,
                    location: directory.location(of: did),
                    configuration: SQLiteConfiguration(),
                    create: true
                )
            }
        }

        func openCount(_ did: DID) -> Int { opens.counts.withLock { $0[did, default: 0] } }
    }

    @Test func concurrentOpensOfOneDIDShareOneOpen() async throws {
        try await withTemporaryDirectory { dir in
            let counting = CountingCache(dir, capacity: 4, openDelay: .milliseconds(50))
            let did = testDID(1)
            let handles = try await withThrowingTaskGroup(of: ObjectIdentifier.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await counting.cache.withHandle(did) { ObjectIdentifier($0) } }
                }
                return try await group.reduce(into: Set<ObjectIdentifier>()) { $0.insert($1) }
            }
            #expect(handles.count == 1)
            #expect(counting.openCount(did) == 1)
            await counting.cache.closeAll(permanently: true)
            #expect(openFiles(under: dir).isEmpty)
        }
    }

    @Test func evictionFollowsRecencyAndClosesIdleHandles() async throws {
        try await withTemporaryDirectory { dir in
            let counting = CountingCache(dir, capacity: 2)
            let (a, b, c) = (testDID(1), testDID(2), testDID(3))
            try await counting.cache.withHandle(a) { _ in }
            try await counting.cache.withHandle(b) { _ in }
            try await counting.cache.withHandle(a) { _ in }  // a is now most recent
            try await counting.cache.withHandle(c) { _ in }  // evicts b
            #expect(counting.cache.cachedDIDs == [a, c])
            #expect(await eventually { counting.cache.counts.draining == 0 })
            let bPath = counting.directory.location(of: b).database.path
            #expect(!openFiles(under: dir).contains { $0.hasPrefix(bPath) })
            try await counting.cache.withHandle(b) { _ in }  // reopens b, evicts a
            #expect(counting.openCount(b) == 2)
            #expect(counting.openCount(a) == 1)
            #expect(counting.cache.cachedDIDs == [c, b])
            await counting.cache.closeAll(permanently: true)
            #expect(openFiles(under: dir).isEmpty)
        }
    }

    @Test func leasedHandleIsNotClosedByEvictionAndIsReusedIfAskedAgain() async throws {
        try await withTemporaryDirectory { dir in
            let counting = CountingCache(dir, capacity: 1)
            let (a, b) = (testDID(1), testDID(2))
            let entered = DispatchSemaphore(value: 0)
            let gate = DispatchSemaphore(value: 0)
            let firstA = Mutex<ObjectIdentifier?>(nil)

            async let longRead: Int = counting.cache.withHandle(a) { handle in
                firstA.withLock { $0 = ObjectIdentifier(handle) }
                return try await handle.pool.read { db in
                    entered.signal()
                    gate.wait()
                    return try Int.fetchOne(db, sql: "SELECT count(*) FROM repo_block") ?? -1
                }
            }
            await waitOnDispatch(entered)

            // b evicts a while a is leased: a moves to `retired` and stays open.
            try await counting.cache.withHandle(b) { _ in }
            #expect(counting.cache.counts.retired == 1)
            let aPath = counting.directory.location(of: a).database.path
            #expect(openFiles(under: dir).contains { $0 == aPath })

            // Asking for a again hands out the same, still-open handle: never a second pool on one file.
            let secondA = try await counting.cache.withHandle(a) { ObjectIdentifier($0) }
            #expect(secondA == firstA.withLock { $0 })
            #expect(counting.openCount(a) == 1)
            #expect(counting.cache.counts.retired == 0)  // a is back in the cache; idle b was evicted instead
            #expect(counting.cache.cachedDIDs == [a])

            gate.signal()
            #expect(try await longRead == 0)
            await counting.cache.closeAll(permanently: true)
            #expect(openFiles(under: dir).isEmpty)
        }
    }

    @Test func evictedLeasedHandleClosesWhenItsLastLeaseEnds() async throws {
        try await withTemporaryDirectory { dir in
            let counting = CountingCache(dir, capacity: 1)
            let (a, b) = (testDID(1), testDID(2))
            let entered = DispatchSemaphore(value: 0)
            let gate = DispatchSemaphore(value: 0)
            async let longRead: Void = counting.cache.withHandle(a) { handle in
                try await handle.pool.read { _ in
                    entered.signal()
                    gate.wait()
                }
            }
            await waitOnDispatch(entered)
            try await counting.cache.withHandle(b) { _ in }
            #expect(counting.cache.counts.retired == 1)
            gate.signal()
            try await longRead
            #expect(await eventually { counting.cache.counts.retired == 0 && counting.cache.counts.draining == 0 })
            let aPath = counting.directory.location(of: a).database.path
            #expect(!openFiles(under: dir).contains { $0.hasPrefix(aPath) })
            #expect(counting.cache.cachedDIDs == [b])
            await counting.cache.closeAll(permanently: true)
        }
    }

    @Test func reopenAfterEvictWaitsForTheClose() async throws {
        try await withTemporaryDirectory { dir in
            let counting = CountingCache(dir, capacity: 4)
            let did = testDID(1)
            let entered = DispatchSemaphore(value: 0)
            let gate = DispatchSemaphore(value: 0)
            async let longRead: Void = counting.cache.withHandle(did) { handle in
                try await handle.pool.read { _ in
                    entered.signal()
                    gate.wait()
                }
            }
            await waitOnDispatch(entered)
            // Explicit eviction (as destroy does): the handle drains and is never handed out again.
            async let evicted: Void = counting.cache.evict(did)
            #expect(await eventually { counting.cache.counts.draining == 1 })
            // A new request must not open a second pool while the first one is still open.
            async let reopened = counting.cache.withHandle(did) { ObjectIdentifier($0) }
            try await Task.sleep(for: .milliseconds(50))
            #expect(counting.openCount(did) == 1)
            gate.signal()
            try await longRead
            await evicted
            _ = try await reopened
            #expect(counting.openCount(did) == 2)
            await counting.cache.closeAll(permanently: true)
            #expect(openFiles(under: dir).isEmpty)
        }
    }

    @Test func failedOpenIsNotCached() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir, handles: 2)
            let did = testDID(9)
            for _ in 0..<3 {
                await #expect(throws: ActorStoreError.actorNotFound(did)) { try await store.read(did) { _ in 0 } }
            }
            #expect(store.handles.counts.cached == 0)
            #expect(store.handles.counts.leases == 0)
            try await store.create(did, keypair: Secp256k1Keypair())
            #expect(try await store.read(did) { try $0.record.recordCount() } == 0)
            await store.close()
        }
    }
}

/// Waits for a semaphore without blocking a cooperative thread.
func waitOnDispatch(_ semaphore: DispatchSemaphore) async {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            semaphore.wait()
            continuation.resume()
        }
    }
}

extension Duration {
    var timeIntervalForTests: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
