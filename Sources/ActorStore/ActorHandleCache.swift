import ATCore
import Synchronization

/// The LRU of open ``ActorHandle``s, with leases.
///
/// - Every DID has at most one open handle: concurrent opens share one `Task`; a handle evicted while leased moves
///   to `retired` and is handed out again if asked for before it closes; a new handle for a DID whose previous handle
///   is still closing (`draining`) waits for that close before opening the file.
/// - A handle is closed only when its last lease ends after it left the cache (or at once if it was not leased).
/// - The cache can hold more open handles than its capacity only while all the extra ones are leased.
/// - A DID taken offline (``takeOffline(_:)``) gets no lease until ``bringOnline(_:)``: requests for it wait.
final class ActorHandleCache: Sendable {
    /// A cache entry: the (possibly still running) open, plus a way to wait for the close.
    final class Slot: Sendable {
        let did: DID
        let handle: Task<ActorHandle, any Error>
        private let closed = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        init(did: DID, handle: Task<ActorHandle, any Error>) {
            self.did = did
            self.handle = handle
        }

        /// Returns once the handle has been closed (or never opened).
        func waitUntilClosed() async {
            await withCheckedContinuation { continuation in
                let done = closed.withLock { state in
                    if !state.done { state.waiters.append(continuation) }
                    return state.done
                }
                if done { continuation.resume() }
            }
        }

        fileprivate func markClosed() {
            let waiters = closed.withLock { state in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    private struct State {
        var cached: LRUCache<DID, Slot>
        /// Evicted while leased; reused if requested again before the last lease ends.
        var retired: [DID: Slot] = [:]
        /// Closing or about to close once unleased; never handed out again.
        var draining: [DID: Slot] = [:]
        var leases: [ObjectIdentifier: Int] = [:]
        var isClosed = false
        /// DIDs taken offline, with the requests waiting for them to come back.
        var offline: [DID: [CheckedContinuation<Void, Never>]] = [:]
        var opened = 0
        var closed = 0
        var evicted = 0
        var hits = 0
    }

    private let state: Mutex<State>
    private let opener: @Sendable (DID, Bool) throws -> ActorHandle

    /// A cache.
    /// - Parameters:
    ///   - capacity: the number of idle handles kept open.
    ///   - open: opens a handle (blocking); the flag says whether a missing file may be created.
    init(capacity: Int, open: @escaping @Sendable (DID, Bool) throws -> ActorHandle) {
        self.state = Mutex(State(cached: LRUCache(capacity: capacity)))
        self.opener = open
    }

    /// Runs `body` with a leased handle for `did`, opening it if needed.
    /// - Parameters:
    ///   - did: the actor.
    ///   - create: whether a missing store file may be created.
    ///   - body: the work; the handle stays open until it returns.
    func withHandle<T: Sendable>(
        _ did: DID,
        create: Bool = false,
        _ body: (ActorHandle) async throws -> T
    ) async throws -> T {
        let slot = try await leaseWhenOnline(did, create: create)
        let handle: ActorHandle
        do {
            handle = try await slot.handle.value
        } catch {
            state.withLock { state in
                if state.cached.peek(did) === slot { state.cached.removeValue(forKey: did) }
                if state.retired[did] === slot { state.retired[did] = nil }
            }
            release(slot)
            throw error
        }
        do {
            let result = try await body(handle)
            release(slot)
            return result
        } catch {
            release(slot)
            throw error
        }
    }

    /// Closes the handle of `did` (waiting for its leases to end) and keeps it out of the cache until closed.
    /// - Parameters:
    ///   - did: the actor.
    func evict(_ did: DID) async {
        let slot = state.withLock { state -> Slot? in
            let slot = state.cached.removeValue(forKey: did) ?? state.retired.removeValue(forKey: did)
            if let slot { drain(slot, in: &state) }
            return slot ?? state.draining[did]
        }
        await slot?.waitUntilClosed()
    }

    /// Closes every handle, waiting for leases to end. With `permanently`, later requests fail with
    /// `ActorStoreError.storeClosed`.
    /// - Parameters:
    ///   - permanently: whether the cache refuses new opens afterwards.
    func closeAll(permanently: Bool) async {
        let slots = state.withLock { state -> [Slot] in
            if permanently { state.isClosed = true }
            let evicted = state.cached.removeAll().map(\.value) + Array(state.retired.values)
            state.retired = [:]
            for slot in evicted { drain(slot, in: &state) }
            return Array(state.draining.values)
        }
        for slot in slots { await slot.waitUntilClosed() }
    }

    /// Counts for tests and metrics.
    struct Counts: Sendable {
        /// Handles in the LRU (idle or leased).
        var cached: Int
        /// Evicted handles still leased.
        var retired: Int
        /// Handles closing or waiting for their last lease to close.
        var draining: Int
        /// Outstanding leases.
        var leases: Int
        /// Opens started since the cache was created.
        var opened: Int
        /// Closes completed since the cache was created.
        var closed: Int
        /// Handles pushed out of the LRU by another actor's handle (closed, or retired while leased).
        var evicted: Int
        /// Leases served by a handle already open or opening (cached, or retired and taken back).
        var hits: Int = 0
    }

    /// The current counts.
    var counts: Counts {
        state.withLock {
            Counts(
                cached: $0.cached.count, retired: $0.retired.count, draining: $0.draining.count,
                leases: $0.leases.values.reduce(0, +), opened: $0.opened, closed: $0.closed,
                evicted: $0.evicted, hits: $0.hits
            )
        }
    }

    /// The cached DIDs from least to most recently used.
    var cachedDIDs: [DID] { state.withLock { $0.cached.keys } }

    // MARK: - Offline

    /// Takes `did` offline: from now on its requests wait (``bringOnline(_:)`` lets them through), then its handle is
    /// closed once the leases already given out end. Returns when no connection to its store is open. When `did` is
    /// already offline, waits until it is back, then takes it.
    /// - Parameters:
    ///   - did: the actor.
    func takeOffline(_ did: DID) async {
        while true {
            let taken = state.withLock { state -> Bool in
                guard state.offline[did] == nil else { return false }
                state.offline[did] = []
                return true
            }
            if taken { break }
            await waitUntilOnline(did)
        }
        await evict(did)
    }

    /// Brings `did` back online and lets its waiting requests through (they open the store again).
    /// - Parameters:
    ///   - did: the actor.
    func bringOnline(_ did: DID) {
        let waiters = state.withLock { state in state.offline.removeValue(forKey: did) ?? [] }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether `did` is offline.
    func isOffline(_ did: DID) -> Bool { state.withLock { $0.offline[did] != nil } }

    /// The requests waiting for `did` to come back online (for tests).
    func waitingCount(_ did: DID) -> Int { state.withLock { $0.offline[did]?.count ?? 0 } }

    /// Returns once `did` is online (at once when it is).
    private func waitUntilOnline(_ did: DID) async {
        await withCheckedContinuation { continuation in
            let waiting = state.withLock { state -> Bool in
                guard state.offline[did] != nil else { return false }
                state.offline[did]?.append(continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    // MARK: - Leases

    /// Leases a handle for `did`, first waiting while it is offline.
    private func leaseWhenOnline(_ did: DID, create: Bool) async throws -> Slot {
        while true {
            if let slot = try lease(did, create: create) { return slot }
            await waitUntilOnline(did)
        }
    }

    /// A lease, or `nil` when `did` is offline.
    private func lease(_ did: DID, create: Bool) throws -> Slot? {
        try state.withLock { state in
            guard !state.isClosed else { throw ActorStoreError.storeClosed }
            guard state.offline[did] == nil else { return nil }
            if let slot = state.cached.value(forKey: did) {
                state.hits += 1
                state.leases[ObjectIdentifier(slot), default: 0] += 1
                return slot
            }
            let slot: Slot
            if let retired = state.retired.removeValue(forKey: did) {
                state.hits += 1
                slot = retired
            } else {
                let previous = state.draining[did]
                let opener = self.opener
                state.opened += 1
                slot = Slot(
                    did: did,
                    handle: Task {
                        await previous?.waitUntilClosed()
                        return try await runBlocking { try opener(did, create) }
                    }
                )
            }
            state.leases[ObjectIdentifier(slot), default: 0] += 1
            for (_, evicted) in state.cached.insert(slot, forKey: did) {
                state.evicted += 1
                if state.leases[ObjectIdentifier(evicted), default: 0] > 0 {
                    state.retired[evicted.did] = evicted
                } else {
                    drain(evicted, in: &state)
                }
            }
            return slot
        }
    }

    private func release(_ slot: Slot) {
        state.withLock { state in
            let id = ObjectIdentifier(slot)
            let remaining = state.leases[id, default: 1] - 1
            state.leases[id] = remaining > 0 ? remaining : nil
            guard remaining == 0 else { return }
            if state.retired[slot.did] === slot {
                state.retired[slot.did] = nil
                drain(slot, in: &state)
            } else if state.draining[slot.did] === slot {
                startClose(slot)
            }
        }
    }

    /// Marks `slot` as draining; closes it now if it is not leased (else the last release does).
    private func drain(_ slot: Slot, in state: inout State) {
        state.draining[slot.did] = slot
        if state.leases[ObjectIdentifier(slot), default: 0] == 0 { startClose(slot) }
    }

    private func startClose(_ slot: Slot) {
        Task {
            if let handle = try? await slot.handle.value {
                _ = try? await runBlocking { handle.close() }
            }
            self.state.withLock { state in
                if state.draining[slot.did] === slot { state.draining[slot.did] = nil }
                state.closed += 1
            }
            slot.markClosed()
        }
    }
}
