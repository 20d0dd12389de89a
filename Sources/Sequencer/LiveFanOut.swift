import Synchronization

/// Delivers newly sequenced events to live subscribers, each event once and in `seq` order.
///
/// Two paths publish: the sequencer right after its own inserts commit (no polling latency), and the poll backstop
/// for rows another process inserted. Both hand over a complete, ordered run of rows above some point, and
/// ``publish(_:through:)`` only forwards what is above ``lastPublished``, so the paths can race freely: whoever
/// publishes a seq first delivers it, the other's copy is dropped.
///
/// The completeness of each run rests on SQLite having one writer: seqs are allocated in commit order, so when a row
/// with seq `n` is visible every row below `n` that will ever exist is already visible too.
final class LiveFanOut: Sendable {
    private struct State {
        var lastPublished: Int64
        var nextID: UInt64 = 0
        var subscribers: [UInt64: AsyncStream<SequencedEvent>.Continuation] = [:]
        var overflowFlags: [UInt64: LiveSubscription.Flag] = [:]
        var overflowHandlers: [UInt64: @Sendable () -> Void] = [:]
        var finished = false
    }

    private let state: Mutex<State>

    /// A fan-out whose subscribers will see events above `lastPublished`.
    init(lastPublished: Int64) {
        state = Mutex(State(lastPublished: lastPublished))
    }

    /// The highest seq delivered (or known not to need delivery).
    var lastPublished: Int64 { state.withLock { $0.lastPublished } }

    /// The number of registered subscribers.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Forwards the events above ``lastPublished`` to every subscriber, in order, then moves ``lastPublished`` to
    /// `through` (the highest seq the caller examined, which may be a row that is not emitted).
    /// - Parameters:
    ///   - events: a complete run of emitted rows above the caller's starting point, in ascending `seq` order.
    ///   - through: the highest seq covered by the run.
    func publish(_ events: [SequencedEvent], through: Int64) {
        var overflowed: [@Sendable () -> Void] = []
        defer { for handler in overflowed { handler() } }
        state.withLock { state in
            for event in events where event.seq > state.lastPublished {
                state.lastPublished = event.seq
                for (id, continuation) in state.subscribers {
                    switch continuation.yield(event) {
                    case .enqueued:
                        break
                    case .dropped:
                        // The subscriber is `maxBuffer` events behind: end it with ConsumerTooSlow.
                        state.overflowFlags[id]?.set()
                        continuation.finish()
                        state.subscribers[id] = nil
                        state.overflowFlags[id] = nil
                        if let handler = state.overflowHandlers.removeValue(forKey: id) { overflowed.append(handler) }
                    case .terminated:
                        state.subscribers[id] = nil
                        state.overflowFlags[id] = nil
                        state.overflowHandlers[id] = nil
                    @unknown default:
                        break
                    }
                }
            }
            state.lastPublished = max(state.lastPublished, through)
        }
    }

    /// Registers a subscriber with room for `maxBuffer` undelivered events.
    /// - Parameters:
    ///   - maxBuffer: the bound; one more event than this ends the subscription with `overflowed` set.
    ///   - onOverflow: called once, after the lock is released, when that happens.
    func subscribe(maxBuffer: Int, onOverflow: (@Sendable () -> Void)? = nil) -> LiveSubscription {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SequencedEvent.self, bufferingPolicy: .bufferingOldest(max(1, maxBuffer)))
        let flag = LiveSubscription.Flag()
        let id: UInt64? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            state.overflowFlags[id] = flag
            state.overflowHandlers[id] = onOverflow
            return id
        }
        if id == nil { continuation.finish() }
        return LiveSubscription(id: id, stream: stream, overflow: flag, fanOut: self)
    }

    /// Removes a subscriber (its stream ends).
    func unsubscribe(_ id: UInt64) {
        let continuation = state.withLock { state in
            state.overflowFlags[id] = nil
            state.overflowHandlers[id] = nil
            return state.subscribers.removeValue(forKey: id)
        }
        continuation?.finish()
    }

    /// Ends every subscription (at shutdown) and refuses new ones.
    func finish() {
        let continuations = state.withLock { state in
            state.finished = true
            defer {
                state.subscribers = [:]
                state.overflowFlags = [:]
                state.overflowHandlers = [:]
            }
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}

/// One live subscriber's buffer; unsubscribes when released.
final class LiveSubscription: Sendable {
    /// Set when the buffer overflowed.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    private let id: UInt64?
    /// The buffered events, in seq order.
    let stream: AsyncStream<SequencedEvent>
    private let overflow: Flag
    private let fanOut: LiveFanOut

    init(id: UInt64?, stream: AsyncStream<SequencedEvent>, overflow: Flag, fanOut: LiveFanOut) {
        self.id = id
        self.stream = stream
        self.overflow = overflow
        self.fanOut = fanOut
    }

    /// Whether the subscriber fell more than its buffer behind.
    var overflowed: Bool { overflow.isSet }

    deinit {
        if let id { fanOut.unsubscribe(id) }
    }
}
