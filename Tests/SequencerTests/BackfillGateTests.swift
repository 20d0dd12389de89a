import Synchronization
import Testing

@testable import Sequencer

/// The cap on concurrent backfills: permits up to the limit, then a first-come, first-served queue.
@Suite struct BackfillGateTests {
    @Test func permitsUpToTheLimitAreImmediate() async throws {
        let gate = BackfillGate(limit: 2)
        let first = try await gate.acquire()
        let second = try await gate.acquire()
        #expect(gate.running == 2)
        #expect(gate.waiting == 0)
        _ = (first, second)
    }

    @Test func waitersGetPermitsInArrivalOrder() async throws {
        let gate = BackfillGate(limit: 1)
        var held: BackfillPermit? = try await gate.acquire()
        let order = Recorder<Int>()
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<4 {
            tasks.append(
                Task {
                    let permit = try await gate.acquire()
                    order.append(index)
                    withExtendedLifetime(permit) {}
                })
            // Each waiter queues before the next one starts, so arrival order is the index order.
            #expect(await eventually { gate.waiting == index + 1 })
        }
        #expect(order.values.isEmpty)
        held = nil
        for task in tasks { try await task.value }
        #expect(order.values == [0, 1, 2, 3])
        #expect(gate.running == 0)
        _ = held
    }

    @Test func aReleasedPermitGoesToTheQueueNotToANewcomer() async throws {
        let gate = BackfillGate(limit: 1)
        var held: BackfillPermit? = try await gate.acquire()
        let (releases, release) = AsyncStream.makeStream(of: Void.self)
        let waiter = Task {
            let permit = try await gate.acquire()
            for await _ in releases { break }
            withExtendedLifetime(permit) {}
        }
        #expect(await eventually { gate.waiting == 1 })
        held = nil
        #expect(await eventually { gate.waiting == 0 })
        // The permit went to the waiter: a newcomer now has to queue.
        #expect(gate.running == 1)
        let newcomer = Task { _ = try await gate.acquire() }
        #expect(await eventually { gate.waiting == 1 })
        release.yield()
        try await waiter.value
        try await newcomer.value
        #expect(gate.running == 0)
        _ = held
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let gate = BackfillGate(limit: 1)
        var held: BackfillPermit? = try await gate.acquire()
        let cancelled = Task { try await gate.acquire() }
        #expect(await eventually { gate.waiting == 1 })
        let next = Task { try await gate.acquire() }
        #expect(await eventually { gate.waiting == 2 })
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(gate.waiting == 1)
        held = nil
        let permit = try await next.value
        #expect(gate.running == 1)
        #expect(gate.waiting == 0)
        withExtendedLifetime(permit) {}
        _ = held
    }

    @Test func anAlreadyCancelledTaskDoesNotQueue() async throws {
        let gate = BackfillGate(limit: 1)
        let held = try await gate.acquire()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await gate.acquire()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(gate.waiting == 0)
        #expect(gate.running == 1)
        withExtendedLifetime(held) {}
    }

    @Test func onIdleRunsWhenTheLastPermitComesBack() async throws {
        let idle = Recorder<Void>()
        let gate = BackfillGate(limit: 2) { idle.append(()) }
        var first: BackfillPermit? = try await gate.acquire()
        var second: BackfillPermit? = try await gate.acquire()
        first = nil
        #expect(idle.values.count == 0)
        second = nil
        #expect(idle.values.count == 1)
        #expect(gate.running == 0)
        _ = (first, second)
    }
}

/// Values appended from any task, in order.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    func append(_ value: Value) { storage.withLock { $0.append(value) } }

    var values: [Value] { storage.withLock { $0 } }
}
