import Synchronization

/// The firehose subscribers and the last seq each was handed, for the subscriber and lag metrics.
///
/// A subscription registers when it starts (``register()``) and is removed when its ``SubscriberTicket`` is
/// released; the ``Outbox`` moves the ticket as it delivers events.
package final class SubscriberRegistry: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        /// The last seq delivered to each subscriber; `nil` until its position is known (cursor checks pending).
        var delivered: [UInt64: Int64?] = [:]
    }

    private let state = Mutex(State())

    /// An empty registry.
    package init() {}

    /// Registers a subscriber; it stays registered until the ticket is released.
    package func register() -> SubscriberTicket {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.delivered[state.nextID] = .some(nil)
            return state.nextID
        }
        return SubscriberTicket(id: id, registry: self)
    }

    /// The number of registered subscribers.
    package var count: Int { state.withLock { $0.delivered.count } }

    /// How far each subscriber whose position is known is behind `head`, in events (seqs), never negative.
    /// - Parameters:
    ///   - head: the newest seq published.
    package func lags(head: Int64) -> [Int64] {
        state.withLock { state in state.delivered.values.compactMap { $0 }.map { max(0, head - $0) } }
    }

    fileprivate func update(_ id: UInt64, delivered seq: Int64) {
        state.withLock { state in
            if state.delivered[id] != nil { state.delivered[id] = seq }
        }
    }

    fileprivate func remove(_ id: UInt64) {
        _ = state.withLock { $0.delivered.removeValue(forKey: id) }
    }
}

/// One subscriber's registration in a ``SubscriberRegistry``; releasing it unregisters the subscriber.
package final class SubscriberTicket: Sendable {
    private let id: UInt64
    private let registry: SubscriberRegistry

    fileprivate init(id: UInt64, registry: SubscriberRegistry) {
        self.id = id
        self.registry = registry
    }

    /// Records that the subscriber has been handed every event up to `seq`.
    /// - Parameters:
    ///   - seq: the last seq delivered (or skipped as read).
    package func delivered(_ seq: Int64) { registry.update(id, delivered: seq) }

    deinit { registry.remove(id) }
}
