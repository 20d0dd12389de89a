import ATCore
import Foundation
import Synchronization
import TestFixtures
import Testing

@testable import Sequencer

/// Pipelined sequencing: queue order is seq order, appends queued behind a write share the next one, and a failed
/// write holds its accounts so their history never has a gap.
/// Reads an atomic flag (`#expect` cannot capture a non-copyable value).
private func isSet(_ flag: borrowing Atomic<Bool>) -> Bool { flag.load(ordering: .acquiring) }

@Suite struct SequencingPipelineTests {
    /// A sequencer whose writer runs `gate` before each batch (it may block or throw), counting the batches.
    func gatedSequencer(_ dir: URL, gate: @escaping @Sendable (Int) throws -> Void) throws -> Sequencer {
        let batches = Atomic<Int>(0)
        var configuration = Sequencer.Configuration(databaseURL: dir.appendingPathComponent("sequencer.sqlite"))
        configuration.retryDelays = []
        configuration.beforeWrite = { try gate(batches.add(1, ordering: .relaxed).newValue) }
        return try Sequencer(configuration: configuration)
    }

    @Test func appendsQueuedBehindAWriteShareTheNextOneInQueueOrder() async throws {
        try await withTemporaryDirectory { dir in
            let firstMayFinish = DispatchSemaphore(value: 0)
            let batches = Mutex<Int>(0)
            let sequencer = try gatedSequencer(dir) { batch in
                batches.withLock { $0 = batch }
                if batch == 1 { firstMayFinish.wait() }
            }
            let first = sequencer.enqueue([identityEvent(0)])
            #expect(await eventually { batches.withLock { $0 } == 1 })
            // Queued while the first write is held: each returns at once, in this order.
            let queued = (1...10).map { sequencer.enqueue([identityEvent($0 % 3), identityEvent($0 % 3)]) }
            #expect(queued.allSatisfy { !$0.isSettled })
            firstMayFinish.signal()
            #expect(try await first.seqs == [1])
            var expected: Int64 = 2
            for ticket in queued {
                #expect(try await ticket.seqs == [expected, expected + 1])
                expected += 2
            }
            #expect(batches.withLock { $0 } == 2)
            let stored = try await sequencer.requestSeqRange(after: nil, limit: 100).events.map(\.seq)
            #expect(stored == Array(1...21))
        }
    }

    @Test func aFailedWriteHoldsItsAccountsUntilAReconcileAppend() async throws {
        try await withTemporaryDirectory { dir in
            let firstMayFail = DispatchSemaphore(value: 0)
            let sequencer = try gatedSequencer(dir) { batch in
                guard batch == 1 else { return }
                firstMayFail.wait()
                throw SequencerError.invalidEvent("injected")
            }
            let held = testDID(1)
            let failed = sequencer.enqueue([identityEvent(1)])
            // Queued behind the failing write: the same account fails with it, another account does not.
            #expect(await eventually { sequencer.pipeline.queuedCount == 0 })
            let behind = sequencer.enqueue([identityEvent(1)])
            let other = sequencer.enqueue([identityEvent(2)])
            firstMayFail.signal()
            await #expect(throws: SequencerError.invalidEvent("injected")) { try await failed.seqs }
            await #expect(throws: SequencerError.held(held)) { try await behind.seqs }
            #expect(try await other.seqs == [1])
            // Later appends are refused at once, until an append that clears the hold is durable.
            #expect(sequencer.isHeld(held))
            let refused = sequencer.enqueue([identityEvent(1)])
            #expect(refused.isSettled)
            await #expect(throws: SequencerError.held(held)) { try await refused.seqs }
            sequencer.settle(held)
            #expect(try await sequencer.enqueue([identityEvent(1)], clearingHold: true).seqs == [2])
            #expect(!sequencer.isHeld(held))
            #expect(try await sequencer.sequence([identityEvent(1)]) == [3])
        }
    }

    @Test func settleWaitsForTheAccountsQueuedAppends() async throws {
        try await withTemporaryDirectory { dir in
            let mayWrite = DispatchSemaphore(value: 0)
            let sequencer = try gatedSequencer(dir) { _ in mayWrite.wait() }
            let ticket = sequencer.enqueue([identityEvent(4)])
            sequencer.settle(testDID(5))  // nothing queued for it: returns at once
            let settled = Atomic<Bool>(false)
            let waiter = Thread {
                sequencer.settle(testDID(4))
                settled.store(true, ordering: .releasing)
            }
            waiter.start()
            let settledEarly = settled.load(ordering: .acquiring)
            #expect(!settledEarly)
            mayWrite.signal()
            #expect(try await ticket.seqs == [1])
            #expect(await eventually { isSet(settled) })
        }
    }
}
