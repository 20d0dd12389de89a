import ATCore
import Foundation
import Synchronization
import Testing

/// How many jobs run at once, and the most seen.
private final class Concurrency: Sendable {
    private let state = Mutex((now: 0, peak: 0))

    func run(_ work: () -> Void) {
        state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        work()
        state.withLock { $0.now -= 1 }
    }

    var peak: Int { state.withLock { $0.peak } }
}

@Suite struct BlockingPoolTests {
    @Test func runsJobsAndReturnsResultsAndErrors() async throws {
        let pool = BlockingPool(threads: 2, cpuSlots: 1)
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 1...100 { group.addTask { await pool.run { n } } }
            return try await group.reduce(0, +)
        }
        #expect(sum == 5050)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await pool.run { () throws -> Int in throw Boom() } }
    }

    @Test func neverRunsMoreJobsThanThreads() async throws {
        let pool = BlockingPool(threads: 3, cpuSlots: 3)
        let running = Concurrency()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    try await pool.run {
                        running.run { Thread.sleep(forTimeInterval: 0.002) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(running.peak <= 3)
    }

    @Test func cpuBoundJobsTakeAtMostTheirSlots() async throws {
        let pool = BlockingPool(threads: 4, cpuSlots: 1)
        let running = Concurrency()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.runCPUBound {
                        running.run { Thread.sleep(forTimeInterval: 0.002) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(running.peak == 1)
    }
}
