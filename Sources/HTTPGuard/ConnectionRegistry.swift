import NIOCore
import Synchronization

/// Every open HTTP connection, counted in total and per client address: decides whether a new connection is admitted
/// and, at the total cap, which idle connection makes room for it.
///
/// Shared by all event loops (one lock; every operation is O(1) except eviction, which scans the connections once and
/// only happens at the cap).
package final class ConnectionRegistry: Sendable {
    /// Why a connection was refused.
    package enum Refusal: Sendable, Equatable {
        /// Its address already holds ``ConnectionLimits/maxConnectionsPerAddress`` connections.
        case perAddress
        /// The server holds ``ConnectionLimits/maxConnections`` connections and none of them is idle.
        case total
    }

    /// The outcome of ``admit(address:channel:)``.
    package enum Admission: Sendable {
        /// Admitted under `id`; `evicted` is an idle connection removed to make room, for the caller to close.
        case admitted(id: UInt64, evicted: (any Channel)?)
        /// Refused: the caller answers and closes.
        case refused(Refusal)
    }

    private struct Entry {
        let address: String
        let exempt: Bool
        let channel: any Channel
        /// Since when the connection has had no request in flight (idle or reading a head); `nil` while busy.
        var idleSince: NIODeadline?
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        var perAddress: [String: Int] = [:]
        var evictions = 0
        var refusals = 0
    }

    private let state = Mutex(State())
    private let maxConnections: Int
    private let maxPerAddress: Int
    private let isExempt: @Sendable (String) -> Bool

    /// A registry.
    /// - Parameters:
    ///   - limits: the caps (``ConnectionLimits/maxConnections``, ``ConnectionLimits/maxConnectionsPerAddress``).
    ///   - isExempt: whether an address is exempt from the per-address cap (a trusted reverse proxy, through which
    ///     every client arrives).
    package init(limits: ConnectionLimits, isExempt: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.maxConnections = max(1, limits.maxConnections)
        self.maxPerAddress = limits.maxConnectionsPerAddress
        self.isExempt = isExempt
    }

    /// Counts a new connection in, if the caps allow.
    /// - Parameters:
    ///   - address: the peer's IP address (or any stable key for peers without one).
    ///   - channel: the connection, closed by a later admission if it is evicted.
    ///   - now: the time (its event loop's).
    /// - Returns: Whether it is admitted, and the connection evicted for it.
    package func admit(address: String, channel: any Channel, now: NIODeadline = .now()) -> Admission {
        let exempt = isExempt(address)
        return state.withLock { state in
            if !exempt, maxPerAddress > 0, state.perAddress[address, default: 0] >= maxPerAddress {
                state.refusals += 1
                return .refused(.perAddress)
            }
            var evicted: (any Channel)?
            if state.entries.count >= maxConnections {
                guard let victim = Self.evictionCandidate(state) else {
                    state.refusals += 1
                    return .refused(.total)
                }
                evicted = Self.remove(victim, from: &state)?.channel
                state.evictions += 1
            }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(address: address, exempt: exempt, channel: channel, idleSince: now)
            if !exempt { state.perAddress[address, default: 0] += 1 }
            return .admitted(id: id, evicted: evicted)
        }
    }

    /// Counts a connection out (it closed); a no-op for one already evicted.
    /// - Parameters:
    ///   - id: its admission id.
    package func release(_ id: UInt64) {
        state.withLock { _ = Self.remove(id, from: &$0) }
    }

    /// Records whether a connection is idle (a candidate for eviction) or busy.
    /// - Parameters:
    ///   - id: its admission id.
    ///   - since: when it became idle, or `nil` when a request is in flight.
    package func setIdle(_ id: UInt64, since: NIODeadline?) {
        state.withLock { state in
            if state.entries[id] != nil { state.entries[id]!.idleSince = since }
        }
    }

    /// What the registry holds now.
    package var counts: (open: Int, evictions: Int, refusals: Int) {
        state.withLock { ($0.entries.count, $0.evictions, $0.refusals) }
    }

    /// The open connections from `address`.
    /// - Parameters:
    ///   - address: a client address.
    package func openCount(from address: String) -> Int {
        state.withLock { state in state.entries.values.count { $0.address == address } }
    }

    /// The idle connection to evict: from the (non-exempt, if any) address holding the most connections, the one idle
    /// longest.
    private static func evictionCandidate(_ state: State) -> UInt64? {
        var best: (id: UInt64, held: Int, since: NIODeadline)?
        for (id, entry) in state.entries {
            guard let since = entry.idleSince else { continue }
            let held = entry.exempt ? 0 : state.perAddress[entry.address, default: 0]
            if let current = best, held < current.held || (held == current.held && since >= current.since) {
                continue
            }
            best = (id, held, since)
        }
        return best?.id
    }

    private static func remove(_ id: UInt64, from state: inout State) -> Entry? {
        guard let entry = state.entries.removeValue(forKey: id) else { return nil }
        if !entry.exempt {
            let remaining = state.perAddress[entry.address, default: 1] - 1
            state.perAddress[entry.address] = remaining > 0 ? remaining : nil
        }
        return entry
    }
}
