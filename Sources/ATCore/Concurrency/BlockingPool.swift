import Foundation
import Synchronization

/// The one bounded pool of threads for blocking work from async code (STYLE C19): file-system calls, opening and
/// closing SQLite files, scrypt, and the sequencer's durable writes.
///
/// The cooperative pool's threads must never block; GCD's global queues do not bound how many threads they start
/// when work blocks (a burst of blocked jobs becomes a burst of threads). This pool runs a fixed number of threads
/// pulling jobs in submission order. A job that blocks occupies one of them; the others keep going.
///
/// CPU-heavy jobs (scrypt: tens of milliseconds and 16 MiB each) go through ``runCPUBound(_:)``, which lets at most
/// ``cpuSlots`` of them hold a thread at once, so a burst of logins never takes every thread from file and database
/// work. Waiting for a slot suspends the task; it blocks no thread.
package final class BlockingPool: Sendable {
    /// The process-wide pool.
    package static let shared = BlockingPool(
        threads: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount),
        cpuSlots: max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// The number of threads.
    package let threadCount: Int
    /// The most ``runCPUBound(_:)`` jobs that hold a thread at once.
    package let cpuSlots: Int

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var cpuRunning = 0
        var cpuWaiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    private let condition = NSCondition()

    /// A pool with its own threads (tests make small ones; the server uses ``shared``).
    /// - Parameters:
    ///   - threads: how many threads run jobs.
    ///   - cpuSlots: how many CPU-bound jobs may run at once.
    package init(threads: Int, cpuSlots: Int) {
        precondition(threads > 0 && cpuSlots > 0)
        threadCount = threads
        self.cpuSlots = cpuSlots
        state = Mutex(State())
        for index in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "pds.blocking.\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs blocking `work` on one of the pool's threads and returns its result.
    /// - Parameters:
    ///   - work: the blocking work.
    package func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs blocking work that cannot fail.
    /// - Parameters:
    ///   - work: the blocking work.
    package func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: work()) }
        }
    }

    /// Runs CPU-heavy `work` (scrypt), at most ``cpuSlots`` at once; later callers wait without blocking a thread.
    /// - Parameters:
    ///   - work: the work.
    package func runCPUBound<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await acquireCPUSlot()
        defer { releaseCPUSlot() }
        return try await run(work)
    }

    /// Queues `job` to run on one of the pool's threads (fire and forget; the job reports its own outcome).
    /// - Parameters:
    ///   - job: the work.
    package func submit(_ job: @escaping @Sendable () -> Void) {
        state.withLock { $0.jobs.append(job) }
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    private func nextJob() -> (@Sendable () -> Void)? {
        state.withLock { state in
            guard state.head < state.jobs.count else { return nil }
            let job = state.jobs[state.head]
            state.head += 1
            if state.head > 64, state.head * 2 > state.jobs.count {
                state.jobs.removeFirst(state.head)
                state.head = 0
            }
            return job
        }
    }

    private func work() {
        while true {
            if let job = nextJob() {
                job()
                continue
            }
            condition.lock()
            // Re-check under the condition's lock: a submit between `nextJob` and here has signalled already.
            if state.withLock({ $0.head < $0.jobs.count }) {
                condition.unlock()
                continue
            }
            condition.wait()
            condition.unlock()
        }
    }

    private func acquireCPUSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.cpuRunning < cpuSlots {
                    state.cpuRunning += 1
                    return true
                }
                state.cpuWaiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func releaseCPUSlot() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.cpuWaiting.isEmpty {
                state.cpuRunning -= 1
                return nil
            }
            return state.cpuWaiting.removeFirst()  // the slot passes to the next waiter
        }
        next?.resume()
    }
}
