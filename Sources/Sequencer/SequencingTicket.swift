import Dispatch
import Synchronization

/// A queued append to the event log: its place in the sequence is fixed when the ticket is made (see
/// ``Sequencer/enqueue(_:clearingHold:)``); its seqs are known once the events are durable.
///
/// Wait with ``seqs`` from async code; ``wait()`` blocks its thread and is only for the write critical section
/// (which runs on a database writer's own thread) and for tests.
package final class SequencingTicket: Sendable {
    private struct State {
        var result: Result<[Int64], any Error>?
        var continuations: [CheckedContinuation<[Int64], any Error>] = []
        var semaphores: [DispatchSemaphore] = []
    }

    private let state: Mutex<State>

    init() { state = Mutex(State()) }

    /// A ticket that already failed (the events were refused before being queued).
    init(failed error: any Error) { state = Mutex(State(result: .failure(error))) }

    /// The seqs of the ticket's events, once they are durable.
    /// - Throws: the sequencing failure (``SequencerError/held(_:)`` when the account waits for a reconcile, or the
    ///   database error that outlived the retries).
    package var seqs: [Int64] {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let result = state.withLock { state -> Result<[Int64], any Error>? in
                    if let result = state.result { return result }
                    state.continuations.append(continuation)
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        }
    }

    /// Blocks the calling thread until the events are durable.
    /// - Returns: their seqs.
    /// - Throws: as ``seqs``.
    package func wait() throws -> [Int64] {
        let semaphore: DispatchSemaphore? = state.withLock { state in
            if state.result != nil { return nil }
            let semaphore = DispatchSemaphore(value: 0)
            state.semaphores.append(semaphore)
            return semaphore
        }
        semaphore?.wait()
        return try state.withLock { $0.result! }.get()
    }

    /// Whether the outcome is known.
    package var isSettled: Bool { state.withLock { $0.result != nil } }

    /// Records the outcome and wakes every waiter (once; later calls are ignored).
    func complete(_ result: Result<[Int64], any Error>) {
        let (continuations, semaphores) = state.withLock { state in
            guard state.result == nil else { return ([CheckedContinuation<[Int64], any Error>](), [DispatchSemaphore]()) }
            state.result = result
            defer {
                state.continuations = []
                state.semaphores = []
            }
            return (state.continuations, state.semaphores)
        }
        for continuation in continuations { continuation.resume(with: result) }
        for semaphore in semaphores { semaphore.signal() }
    }
}
