import Foundation
import Synchronization
import Testing

@testable import Sequencer

@Suite struct GroupCommitTests {
    /// Failures the tests inject.
    struct Injected: Error, Equatable { let batch: [Int] }

    @Test func aLoneCallerWritesAtOnce() throws {
        let writes = Mutex<[[Int]]>([])
        let group = GroupCommit<Int, Int>(maxBatch: 8) { items in
            writes.withLock { $0.append(items) }
            return items.map { $0 * 10 }
        }
        #expect(try group.submit(1) == 10)
        #expect(try group.submit(2) == 20)
        #expect(writes.withLock { $0 } == [[1], [2]])
    }

    @Test func callersQueuedBehindAWriteShareTheNextOneAndGetTheirOwnOutputs() async throws {
        let writes = Mutex<[[Int]]>([])
        let firstWriteMayFinish = DispatchSemaphore(value: 0)
        let group = GroupCommit<Int, Int>(maxBatch: 16) { items in
            let isFirst = writes.withLock { writes in
                writes.append(items)
                return writes.count == 1
            }
            if isFirst { firstWriteMayFinish.wait() }  // hold the first write until the others have queued
            return items.map { $0 * 10 }
        }
        let callers = 12
        let outputs = Mutex<[Int: Int]>([:])
        let done = DispatchGroup()
        // One thread per caller (`submit` blocks; GCD would add threads for blocked work only slowly). Caller 0
        // leads the first write; the others queue behind it.
        func submitOnItsOwnThread(_ n: Int) {
            done.enter()
            Thread {
                let output = try? group.submit(n)
                outputs.withLock { $0[n] = output }
                done.leave()
            }.start()
        }
        submitOnItsOwnThread(0)
        #expect(await eventually { writes.withLock { $0.count } == 1 })
        for n in 1..<callers { submitOnItsOwnThread(n) }
        #expect(await eventually { group.pendingCount == callers - 1 })
        firstWriteMayFinish.signal()
        await withCheckedContinuation { continuation in done.notify(queue: .global()) { continuation.resume() } }

        let results = outputs.withLock { $0 }
        #expect(results.count == callers)
        for (n, output) in results { #expect(output == n * 10) }
        // One write for the leader, one for everyone queued behind it (in arrival order, which the threads decide:
        // compared as a set).
        let batches = writes.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches.first == [0])
        #expect(Set(batches.last ?? []) == Set(1..<callers))
    }

    @Test func aFailedWriteFailsOnlyItsOwnBatch() throws {
        let group = GroupCommit<Int, Int>(maxBatch: 4) { items in
            if items.contains(13) { throw Injected(batch: items) }
            return items
        }
        #expect(throws: Injected(batch: [13])) { try group.submit(13) }
        #expect(try group.submit(14) == 14)
    }
}
