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

    @Test func concurrentCallersShareWritesAndGetTheirOwnOutputs() throws {
        let writes = Mutex<[[Int]]>([])
        let group = GroupCommit<Int, Int>(maxBatch: 16) { items in
            writes.withLock { $0.append(items) }
            Thread.sleep(forTimeInterval: 0.002)  // a write long enough for others to queue behind it
            return items.map { $0 * 10 }
        }
        let callers = 64
        let outputs = Mutex<[Int: Int]>([:])
        // GCD threads: `submit` blocks.
        DispatchQueue.concurrentPerform(iterations: callers) { n in
            let output = try? group.submit(n)
            outputs.withLock { $0[n] = output }
        }
        let results = outputs.withLock { $0 }
        #expect(results.count == callers)
        for (n, output) in results { #expect(output == n * 10) }
        let batches = writes.withLock { $0 }
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<callers))
        #expect(batches.allSatisfy { $0.count <= 16 })
        // Every submission went into exactly one write; with callers queueing behind a slow write, some batches
        // hold more than one (how many depends on scheduling, so only that they are not all singletons).
        if ProcessInfo.processInfo.activeProcessorCount > 1 {
            #expect(batches.count < callers)
        }
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
