import ATCore
import GRDB
import Synchronization

/// Concurrent write transactions of one actor, coalesced into one SQLite transaction (each in its own savepoint).
///
/// Writes that queue for an actor while its writer is busy are taken together by the next one: one `BEGIN
/// IMMEDIATE`/`COMMIT` (one set of WAL frames for the pages they share) and one hop to the writer queue for the whole
/// group, instead of one each. Each body still runs alone, in arrival order, inside a savepoint: a body that throws
/// rolls back only its own changes and gets its own error; the others commit. `committed` callbacks run after the
/// `COMMIT`, in the same order, still on the actor's writer.
final class ActorWriteCoalescer: Sendable {
    /// The most bodies one transaction takes.
    static let maxGroup = 64

    /// One queued body, with what it produced.
    final class Job: Sendable {
        enum Role { case done, lead }

        /// Runs before every group (outside the savepoints), with the first job's prologue.
        let prologue: @Sendable (ActorStoreTransactor) throws -> Void
        /// Runs the body in its savepoint; returns a closure that, after the `COMMIT`, runs `committed` and records
        /// the outcome.
        let run: @Sendable (ActorStoreTransactor) throws -> @Sendable () -> Void
        /// Records a failure.
        let fail: @Sendable (any Error) -> Void
        let wake = Mutex<CheckedContinuation<Role, Never>?>(nil)

        init(
            prologue: @escaping @Sendable (ActorStoreTransactor) throws -> Void,
            run: @escaping @Sendable (ActorStoreTransactor) throws -> @Sendable () -> Void,
            fail: @escaping @Sendable (any Error) -> Void
        ) {
            self.prologue = prologue
            self.run = run
            self.fail = fail
        }
    }

    private struct State {
        var pending: [DID: [Job]] = [:]
        var draining: Set<DID> = []
    }

    private let state = Mutex(State())

    /// Queues `job`; returns `.lead` when the caller must run the next group itself, `.done` once a group ran it.
    func enqueue(_ job: Job, for did: DID) async -> Job.Role {
        await withCheckedContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                state.pending[did, default: []].append(job)
                if state.draining.contains(did) {
                    job.wake.withLock { $0 = continuation }
                    return false
                }
                state.draining.insert(did)
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
    }

    /// The number of `did`'s queued jobs (for tests).
    func queuedCount(for did: DID) -> Int { state.withLock { $0.pending[did]?.count ?? 0 } }

    /// Takes the next group of `did`'s queued jobs.
    func takeGroup(for did: DID) -> [Job] {
        state.withLock { state in
            guard let queued = state.pending[did] else { return [] }
            let group = Array(queued.prefix(Self.maxGroup))
            let rest = Array(queued.dropFirst(group.count))
            state.pending[did] = rest.isEmpty ? nil : rest
            return group
        }
    }

    /// Wakes a group's jobs, and hands the lead to the first job that queued meanwhile (or ends the drain).
    func finish(_ group: [Job], for did: DID) {
        let next = state.withLock { state -> Job? in
            guard let first = state.pending[did]?.first else {
                state.draining.remove(did)
                return nil
            }
            return first
        }
        for job in group { job.wake.withLock { $0.take() }?.resume(returning: .done) }
        if let next {
            // Its continuation is set under the same lock that queued it; it may not be stored yet only if it is the
            // caller itself, which never happens for a job still pending.
            next.wake.withLock { $0.take() }?.resume(returning: .lead)
        }
    }
}

extension ActorStore {
    /// ``transact(_:_:committed:)`` for writes that may share a transaction with other writes of the actor queued at
    /// the same time (see ``ActorWriteCoalescer``).
    /// - Parameters:
    ///   - did: the actor.
    ///   - prologue: work each group runs once before its bodies, outside their savepoints (every caller passes the
    ///     same work; the first job's runs). If it throws, every body of the group fails with its error.
    ///   - body: synchronous work on the transactor, in its own savepoint.
    ///   - committed: synchronous work after the group's `COMMIT`, in arrival order, still in the critical section.
    /// - Returns: what `committed` returns.
    /// - Throws: `ActorStoreError.actorNotFound`, what `prologue` or `body` throws, or the `COMMIT`'s error.
    package func transactCoalescing<T: Sendable, U: Sendable>(
        _ did: DID,
        prologue: @escaping @Sendable (ActorStoreTransactor) throws -> Void,
        _ body: @escaping @Sendable (ActorStoreTransactor) throws -> T,
        committed: @escaping @Sendable (T) -> U
    ) async throws -> U {
        let outcome = Mutex<Result<U, any Error>?>(nil)
        let job = ActorWriteCoalescer.Job(
            prologue: prologue,
            run: { txn in
                let value = try body(txn)
                return { outcome.withLock { $0 = .success(committed(value)) } }
            },
            fail: { error in outcome.withLock { $0 = .failure(error) } })
        if await coalescer.enqueue(job, for: did) == .lead {
            await runGroup(for: did)
        }
        guard let result = outcome.withLock({ $0 }) else { throw ActorStoreError.actorNotFound(did) }
        return try result.get()
    }

    /// Runs the next group of `did`'s queued writes in one transaction, then wakes them. The group is taken once the
    /// writer is free, so every write that queued while waiting for it joins.
    private func runGroup(for did: DID) async {
        let keys = self.keys
        let coalescer = self.coalescer
        let taken = Mutex<[ActorWriteCoalescer.Job]>([])
        do {
            try await handles.withHandle(did) { handle in
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    handle.pool.asyncWriteWithoutTransaction { db in
                        let group = coalescer.takeGroup(for: did)
                        taken.withLock { $0 = group }
                        guard let first = group.first else { return continuation.resume() }
                        continuation.resume(
                            with: Result {
                                var completions: [@Sendable () -> Void] = []
                                try db.inTransaction(.immediate) {
                                    let txn = ActorStoreTransactor(did: did, db: db, keys: keys)
                                    try first.prologue(txn)
                                    for job in group {
                                        do {
                                            try db.inSavepoint {
                                                completions.append(try job.run(txn))
                                                return .commit
                                            }
                                        } catch {
                                            job.fail(error)
                                        }
                                    }
                                    return .commit
                                }
                                for completion in completions { completion() }
                            })
                    }
                }
            }
        } catch {
            // The whole transaction failed (the prologue, the COMMIT, or the store): no body's changes remain. When
            // the store failed before the writer ran, the queued jobs are failed here too.
            var group = taken.withLock { $0 }
            if group.isEmpty { group = coalescer.takeGroup(for: did) }
            for job in group { job.fail(error) }
            coalescer.finish(group, for: did)
            return
        }
        coalescer.finish(taken.withLock { $0 }, for: did)
    }
}
