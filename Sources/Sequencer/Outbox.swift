import ATCore
import Foundation

/// One `com.atproto.sync.subscribeRepos` connection's stream: backfill from a cursor, cut-over, then live events.
///
/// The WebSocket endpoint only writes binary messages:
/// ```swift
/// do {
///     for try await bytes in outbox.frames(cursor: cursor) { try await outbound.write(.binary(bytes)) }
/// } catch let error as SequencerError {
///     if let frame = error.subscriptionFrame { try await outbound.write(.binary(frame.bytes)) }
///     // close with 1008 (policy violation), reason = the error name (FutureCursor, ConsumerTooSlow)
/// }
/// ```
///
/// The stream is pull-driven: backfill pages are read from the database only when the consumer asks for the next
/// event, in the consumer's own task, so a slow socket slows the backfill instead of filling memory, and no task is
/// spawned per connection. A page is at most ``pageSize`` rows and stops at ``pageBytes`` of stored events, so one
/// subscriber holds about one page however long the backlog and however large its events (500 rows of 80 KiB
/// commits were 40 MiB, twice over: body and frame). From its second page on, a backfill holds a permit of the
/// sequencer's ``BackfillGate`` (`PDS_MAX_CONCURRENT_BACKFILLS`): past the limit, subscribers wait their turn.
/// Live events are pushed into a per-connection buffer of `maxBuffer` events; one more ends the stream with
/// ``SequencerError/consumerTooSlow`` (events are never dropped silently) and calls `onOverflow` at once, so the
/// endpoint can drop a consumer whose socket is stuck without waiting for it to ask for the next event.
package struct Outbox: Sendable {
    /// The default of ``pageSize``.
    package static let defaultPageSize = 500
    /// The default of ``pageBytes``: 256 KiB (a few large commits, or hundreds of typical events; measured with 8
    /// concurrent backfills of 80 KB commits, 1 MiB pages peaked 40-80 MiB above the idle server, debug build).
    package static let defaultPageBytes = 256 << 10

    /// The event log.
    package let sequencer: Sequencer
    /// The wall clock for the backfill window.
    package let now: @Sendable () -> Date
    /// The most rows read per backfill page.
    package let pageSize: Int
    /// A backfill page ends at the row that brings its stored events to this many bytes.
    package let pageBytes: Int

    /// An outbox over `sequencer`.
    /// - Parameters:
    ///   - sequencer: the event log.
    ///   - now: the wall clock; the sequencer's when `nil`.
    ///   - pageSize: the most rows per backfill page.
    ///   - pageBytes: the stored bytes at which a backfill page ends.
    package init(
        sequencer: Sequencer, now: (@Sendable () -> Date)? = nil, pageSize: Int = Outbox.defaultPageSize,
        pageBytes: Int = Outbox.defaultPageBytes
    ) {
        self.sequencer = sequencer
        self.now = now ?? sequencer.configuration.now
        self.pageSize = max(1, pageSize)
        self.pageBytes = max(1, pageBytes)
    }

    /// The events for one subscriber.
    ///
    /// - No cursor: live events only, from the moment the iterator is made.
    /// - A cursor above ``Sequencer/currentSeq()``: the stream throws ``SequencerError/futureCursor``.
    /// - A cursor whose next event is older than `now − backfillLimit`: an `#info OutdatedCursor` first, then the
    ///   events from the earliest one inside the window.
    /// - Otherwise every event with `seq > cursor`, then live events, with no gap and no duplicate.
    /// - Parameters:
    ///   - cursor: the last seq the subscriber has.
    ///   - backfillLimit: how far back a cursor may reach; the sequencer's configuration when `nil`.
    ///   - maxBuffer: the most live events held for the subscriber (`PDS_MAX_SUBSCRIPTION_BUFFER`, 500).
    ///   - onOverflow: called once, from the publishing thread, when the live buffer overflows (the stream then
    ///     throws ``SequencerError/consumerTooSlow`` when next asked); it must not block.
    ///   - ticket: moved to each delivered seq (the subscriber's position for the lag metrics).
    package func events(
        cursor: Int64?, backfillLimit: Duration? = nil, maxBuffer: Int = 500,
        onOverflow: (@Sendable () -> Void)? = nil, ticket: SubscriberTicket? = nil
    ) -> OutboxEvents {
        OutboxEvents(
            sequencer: sequencer, cursor: cursor,
            backfillLimit: backfillLimit ?? sequencer.configuration.backfillLimit, maxBuffer: maxBuffer, now: now,
            pageSize: pageSize, pageBytes: pageBytes, onOverflow: onOverflow, ticket: ticket)
    }

    /// ``events(cursor:backfillLimit:maxBuffer:)`` as encoded frames: one binary WebSocket message each.
    /// - Parameters:
    ///   - cursor: the last seq the subscriber has.
    ///   - backfillLimit: the backfill window.
    ///   - maxBuffer: the live buffer bound.
    ///   - onOverflow: called when the live buffer overflows.
    ///   - ticket: moved to each delivered seq.
    package func frames(
        cursor: Int64?, backfillLimit: Duration? = nil, maxBuffer: Int = 500,
        onOverflow: (@Sendable () -> Void)? = nil, ticket: SubscriberTicket? = nil
    ) -> AsyncMapSequence<OutboxEvents, [UInt8]> {
        events(
            cursor: cursor, backfillLimit: backfillLimit, maxBuffer: maxBuffer, onOverflow: onOverflow, ticket: ticket
        ).map { $0.frameBytes }
    }
}

/// The events of one subscription (see ``Outbox/events(cursor:backfillLimit:maxBuffer:)``); iterate it once.
package struct OutboxEvents: AsyncSequence, Sendable {
    package typealias Element = OutboxItem
    package typealias Failure = any Error

    let sequencer: Sequencer
    let cursor: Int64?
    let backfillLimit: Duration
    let maxBuffer: Int
    let now: @Sendable () -> Date
    let pageSize: Int
    let pageBytes: Int
    let onOverflow: (@Sendable () -> Void)?
    let ticket: SubscriberTicket?

    /// Starts the subscription; without a cursor, live events are buffered from here on.
    package func makeAsyncIterator() -> Iterator {
        Iterator(self)
    }

    /// The subscription's state machine: start (cursor checks) → backfill → live.
    package struct Iterator: AsyncIteratorProtocol {
        private enum Phase {
            case start, backfill, live, finished
        }

        private let source: OutboxEvents
        private var phase: Phase = .start
        /// The highest seq delivered: nothing at or below it is delivered again.
        private var delivered: Int64 = .min {
            didSet { source.ticket?.delivered(delivered) }
        }
        /// Where the next backfill page starts (at or above ``delivered``: skipped rows count as read).
        private var readThrough: Int64 = .min
        private var pending: [SequencedEvent] = []
        private var pendingIndex = 0
        private var subscription: LiveSubscription?
        private var live: AsyncStream<SequencedEvent>.Iterator?
        /// The backfill permit, held from the second page to the cut-over.
        private var permit: BackfillPermit?
        /// Backfill pages read so far.
        private var pagesRead = 0

        init(_ source: OutboxEvents) {
            self.source = source
            if source.cursor == nil {
                subscribe()
                phase = .live
                source.ticket?.delivered(source.sequencer.fanOut.lastPublished)
            }
        }

        /// The next message; `nil` when the sequencer shuts down or the task is cancelled.
        /// - Throws: ``SequencerError/futureCursor``, ``SequencerError/consumerTooSlow``, database errors.
        package mutating func next() async throws -> OutboxItem? {
            while true {
                if let subscription, subscription.overflowed { throw fail(.consumerTooSlow) }
                if pendingIndex < pending.count {
                    let event = pending[pendingIndex]
                    pendingIndex += 1
                    if event.seq > delivered {
                        delivered = event.seq
                        return .event(event)
                    }
                    continue
                }
                if Task.isCancelled { phase = .finished }
                switch phase {
                case .start:
                    if let info = try await start() { return info }
                case .backfill:
                    try await readPage()
                case .live:
                    guard let event = await live?.next() else {
                        if subscription?.overflowed == true { throw fail(.consumerTooSlow) }
                        close()
                        return nil
                    }
                    if event.seq > delivered {
                        delivered = event.seq
                        return .event(event)
                    }
                case .finished:
                    close()
                    return nil
                }
            }
        }

        /// The cursor checks; returns `#info OutdatedCursor` when the cursor is older than the window.
        private mutating func start() async throws -> OutboxItem? {
            guard let cursor = source.cursor else {
                phase = .live
                return nil
            }
            let current = try await source.sequencer.currentSeq()
            if cursor > current { throw fail(.futureCursor) }
            delivered = cursor
            readThrough = cursor
            phase = .backfill
            let windowStart = source.now().addingTimeInterval(-source.backfillLimit.timeInterval)
            let bound = Datetime(windowStart).rawValue
            guard let next = try await source.sequencer.nextEvent(after: cursor), next.time < bound else { return nil }
            if let first = try await source.sequencer.earliestAfter(time: windowStart) {
                readThrough = Swift.max(cursor, first.seq - 1)
            } else {
                // Nothing inside the window: everything up to now is too old.
                readThrough = current
            }
            delivered = readThrough
            return .outdatedCursor
        }

        /// Reads one backfill page. Once a page comes back short (caught up with the head), the live subscription
        /// starts; the page after that is read with it in place, so whatever commits later is in its buffer. An
        /// empty page with the subscription in place completes the cut-over. The first page needs no permit, every
        /// later one before the catch-up does (waiting for it here, holding no page); it is given back at the
        /// cut-over. The pages read after the catch-up (what committed meanwhile) need none.
        private mutating func readPage() async throws {
            pending = []
            pendingIndex = 0
            if pagesRead > 0 && permit == nil && subscription == nil {
                permit = try await source.sequencer.backfillGate.acquire()
            }
            let page = try await source.sequencer.requestSeqRange(
                after: readThrough, limit: source.pageSize, maxBytes: source.pageBytes)
            pagesRead += 1
            if let through = page.through { readThrough = through }
            pending = page.events
            if subscription == nil {
                if page.examined < source.pageSize && !page.reachedByteBudget { subscribe() }
            } else if page.examined == 0 {
                phase = .live
                permit = nil
            }
        }

        private mutating func subscribe() {
            let subscription = source.sequencer.fanOut.subscribe(
                maxBuffer: source.maxBuffer, onOverflow: source.onOverflow)
            self.subscription = subscription
            live = subscription.stream.makeAsyncIterator()
        }

        /// Ends the subscription (releasing it unregisters it from the fan-out).
        private mutating func close() {
            phase = .finished
            subscription = nil
            live = nil
            permit = nil
            pending = []
            pendingIndex = 0
        }

        /// Ends the subscription and returns `error` for throwing.
        private mutating func fail(_ error: SequencerError) -> SequencerError {
            close()
            return error
        }
    }
}
