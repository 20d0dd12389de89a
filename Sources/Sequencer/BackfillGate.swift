import Synchronization

/// Bounds how many `subscribeRepos` subscribers backfill at once (`PDS_MAX_CONCURRENT_BACKFILLS`).
///
/// A subscriber needs a permit for its second backfill page onward (one page is read without it, so a cursor near
/// the head never waits behind long backfills); it gives the permit back when it reaches the live stream or ends.
/// Subscribers that find every permit taken wait in arrival order (first come, first served) and receive nothing
/// until their turn; a waiter that goes away (cancelled) leaves the queue. A released permit passes straight to the
/// longest waiter, so a newcomer never overtakes the queue.
///
/// When the last permit comes back and nobody waits, `onIdle` runs (the sequencer returns the memory the
/// backfills freed to the operating system there).
package final class BackfillGate: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    /// The most permits out at once.
    package let limit: Int
    private let state: Mutex<State>
    private let onIdle: (@Sendable () -> Void)?

    /// A gate handing out at most `limit` permits.
    /// - Parameters:
    ///   - limit: the most concurrent backfills (at least 1).
    ///   - onIdle: runs, outside the lock, each time the last permit is returned and nobody waits.
    package init(limit: Int, onIdle: (@Sendable () -> Void)? = nil) {
        precondition(limit > 0, "a backfill gate needs at least one permit")
        self.limit = limit
        self.onIdle = onIdle
        state = Mutex(State())
    }

    /// The permits out now.
    package var running: Int { state.withLock { $0.running } }

    /// The subscribers waiting for a permit.
    package var waiting: Int { state.withLock { $0.waiters.count } }

    /// A permit: at once when one is free, else after every earlier waiter got one.
    /// - Returns: the permit; it is returned when released (dropped).
    /// - Throws: `CancellationError` when the task is cancelled before its turn.
    package func acquire() async throws -> BackfillPermit {
        let id: UInt64? = state.withLock { state in
            if state.running < limit && state.waiters.isEmpty {
                state.running += 1
                return nil
            }
            defer { state.nextID += 1 }
            return state.nextID
        }
        guard let id else { return BackfillPermit(gate: self) }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case queued, granted, cancelled }
                // Decided again under the lock: a permit may have come back since the first look.
                let outcome = state.withLock { state -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if state.running < limit && state.waiters.isEmpty {
                        state.running += 1
                        return .granted
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .queued: break
                case .granted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            // Not in the queue: it was handed a permit already (the caller drops it), or it has not queued yet (it
            // sees the cancellation when it does).
            waiter?.continuation.resume(throwing: CancellationError())
        }
        return BackfillPermit(gate: self)
    }

    /// Returns a permit: to the longest waiter when there is one.
    fileprivate func release() {
        let (next, idle) = state.withLock { state -> (Waiter?, Bool) in
            if !state.waiters.isEmpty { return (state.waiters.removeFirst(), false) }
            state.running -= 1
            return (nil, state.running == 0)
        }
        next?.continuation.resume()
        if idle { onIdle?() }
    }
}

/// One subscriber's right to backfill (see ``BackfillGate``); given back when released.
package final class BackfillPermit: Sendable {
    private let gate: BackfillGate

    fileprivate init(gate: BackfillGate) {
        self.gate = gate
    }

    deinit {
        gate.release()
    }
}
