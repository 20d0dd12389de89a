import ATCore
import Foundation
import GRDB
import Logging
import SQLiteSupport
import ServiceLifecycle

/// The firehose event log (`sequencer.sqlite`, table `repo_seq`) and its live fan-out.
///
/// Appends are pipelined (``SequencingPipeline``): ``enqueue(_:clearingHold:more:)`` fixes an append's place in the
/// sequence without waiting and returns a ``SequencingTicket``; one writer inserts what is queued in batches (one
/// transaction and one fsync each) and completes the tickets once the rows are durable. Handlers use the async
/// ``sequence(_:)`` and the `sequence…` conveniences; the write critical section only enqueues. Seqs are strictly
/// increasing and never reused (`AUTOINCREMENT`). Subscribers are notified as soon as a batch commits; ``run()`` (a
/// `Service`) adds a poll backstop for rows written by another process (the admin CLI) and prunes events older than
/// the retention window.
///
/// ## The write protocol (DESIGN §4)
///
/// The guarantee: *an acknowledged write always has its firehose event, and no event ever exists for a write that
/// was not durable.* `sequencer.sqlite` and the actor's `store.sqlite` are separate files, so no single transaction
/// covers both (SQLite's multi-file `ATTACH` commits are not atomic in WAL mode either). The order is therefore:
///
/// 1. In the actor's write critical section: format the commit and commit the actor transaction.
/// 2. Still in that critical section (after the commit, before any other write to the actor can start): queue the
///    event with ``enqueueCommit(did:commit:)``. This fixes its place in the sequence, after every earlier event of
///    the actor, without waiting for the write.
/// 3. Leave the critical section (the actor's next write may start now), wait for the event to be durable (the
///    writer retries transient failures), and only then acknowledge the client.
///
/// The reference PDS sequences *inside* the actor transaction, before it commits, so a crash or a failed commit
/// after step 2 leaves an event for a write that never happened — an event can never be taken back from relays.
/// Sequencing after the commit turns every failure into the recoverable case instead: a durable commit without an
/// event. Doing it inside the same critical section keeps one actor's events in rev order (a second write cannot
/// queue its `#commit` before the first one's). If an event cannot be sequenced, its account is held (see
/// ``SequencingPipeline``): its later events are refused until a reconcile, so no `#commit` builds on a missing one.
///
/// Recovery closes the remaining window (a crash, or a sequencing failure that outlived the retries, between steps
/// 1 and 3). For each actor, in its critical section, wait for its queued events (``settle(_:)``), compare the repo
/// root with ``lastCommitRev(did:)`` through ``recoveryStatus(did:rootRev:)``; if the root is newer (or nothing was
/// ever sequenced), emit a `#sync` of the current root with ``reconcile(commitCID:commitBlock:)``. A `#sync` and not
/// the missing `#commit`s: the
/// previous commit and replaced MST nodes are deleted when a commit is applied, so the diff cannot be rebuilt, and
/// `#sync` is the spec's event for "the repo is now at this commit". The server runs this at start-up for every
/// active account, and again for an actor whose sequencing failed, before that actor's next write. The newest
/// `#commit`/`#sync` of every account is exempt from pruning so this comparison stays possible.
///
/// Durability: the sequencer opens with `synchronous=FULL` by default, so a sequenced event survives power loss and
/// seqs are never handed out twice. The actor store must be at least as durable as the event that describes it: with
/// `synchronous=NORMAL` on actor stores, a power loss (not a process crash) can roll back an actor commit whose event
/// survived.
///
/// Sequence numbers never go backwards: ``ensureSeqAtLeast(_:)`` raises the `AUTOINCREMENT` counter after a restore
/// from backup to above every seq already handed to relays, and ``currentSeq()`` reports the counter, so cursors up
/// to it are not "in the future".
package final class Sequencer: Service, Sendable {
    /// How the sequencer is set up.
    package struct Configuration: Sendable {
        /// The `sequencer.sqlite` file.
        package var databaseURL: URL
        /// SQLite settings; `synchronous=FULL` by default (see the type's documentation).
        package var sqlite: SQLiteConfiguration
        /// `PDS_REPO_BACKFILL_LIMIT_MS`: how far back a cursor may reach (default one day).
        package var backfillLimit: Duration
        /// How long events are kept; `nil` keeps them forever (the reference's behaviour). Never less than
        /// ``backfillLimit``. Default: seven days.
        package var retention: Duration?
        /// How often pruning runs.
        package var pruneInterval: Duration
        /// The shortest and longest waits of the poll backstop (it backs off by doubling while idle).
        package var pollInterval: ClosedRange<Duration>
        /// The wall clock for `sequencedAt`, the backfill window and pruning.
        package var now: @Sendable () -> Date
        /// The waits between tries of a batch that failed with a database error (a lock held past the busy timeout by
        /// another process, a full disk being cleared); the writer sleeps on its own thread.
        package var retryDelays: [Duration] = [.milliseconds(10), .milliseconds(100), .milliseconds(500)]
        /// Runs on the writer before each batch is written; a thrown error fails the batch (tests use it to hold or
        /// break the writer between an actor commit and its event's write).
        package var beforeWrite: (@Sendable () throws -> Void)?
        /// Runs on the writer after each batch commits, with the number of appends it took (the group-commit batch
        /// size, for metrics).
        package var afterBatch: (@Sendable (Int) -> Void)?
        /// `PDS_MAX_CONCURRENT_BACKFILLS`: how many `subscribeRepos` subscribers backfill at once; the others wait
        /// in arrival order (see ``BackfillGate``).
        package var maxConcurrentBackfills: Int = Self.defaultMaxConcurrentBackfills

        /// The default of ``maxConcurrentBackfills``: the sequencer's reader count, so backfills never queue for a
        /// database connection behind each other and the writer's recovery reads.
        package static let defaultMaxConcurrentBackfills = 4

        /// A configuration.
        /// - Parameters:
        ///   - databaseURL: the `sequencer.sqlite` file.
        ///   - sqlite: SQLite settings.
        ///   - backfillLimit: the cursor backfill window.
        ///   - retention: how long events are kept (`nil`: forever).
        ///   - pruneInterval: how often to prune.
        ///   - pollInterval: the poll backstop's wait range.
        ///   - now: the wall clock.
        package init(
            databaseURL: URL,
            sqlite: SQLiteConfiguration = SQLiteConfiguration(synchronousNormal: false, maximumReaderCount: 4),
            backfillLimit: Duration = .seconds(86_400),
            retention: Duration? = .seconds(7 * 86_400),
            pruneInterval: Duration = .seconds(3_600),
            pollInterval: ClosedRange<Duration> = .milliseconds(10) ... .seconds(1),
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.databaseURL = databaseURL
            self.sqlite = sqlite
            self.backfillLimit = backfillLimit
            self.retention = retention.map { max($0, backfillLimit) }
            self.pruneInterval = pruneInterval
            self.pollInterval = pollInterval
            self.now = now
        }
    }

    /// The configuration.
    package let configuration: Configuration
    let pool: DatabasePool
    let fanOut: LiveFanOut
    /// The permits for backfilling subscribers.
    package let backfillGate: BackfillGate
    /// The `subscribeRepos` subscribers' positions (for the lag metrics).
    package let subscribers = SubscriberRegistry()
    let logger: Logger
    /// Queued appends and their writer.
    let pipeline: SequencingPipeline

    /// The most appends one transaction takes.
    static let maxBatch = 256

    /// Opens (creating and migrating when needed) `sequencer.sqlite`.
    /// - Parameters:
    ///   - configuration: the settings.
    ///   - logger: where poll and prune failures go.
    /// - Throws: SQLite errors, `MigrationError.unknownMigrations` for a file from a newer version.
    package init(configuration: Configuration, logger: Logger = Logger(label: "pds.sequencer")) throws {
        self.configuration = configuration
        self.logger = logger
        pool = try DatabasePool.open(at: configuration.databaseURL, configuration: configuration.sqlite)
        if try pool.read({ try SequencerSchema.migrator.hasPendingMigrations($0) }) {
            try pool.write { db in try SequencerSchema.migrator.migrate(db, now: configuration.now()) }
        }
        let fanOut = LiveFanOut(lastPublished: try pool.read { try Self.currentSeq($0) })
        self.fanOut = fanOut
        backfillGate = BackfillGate(limit: max(1, configuration.maxConcurrentBackfills)) { FreedMemory.releaseSoon() }
        let pool = self.pool
        let now = configuration.now
        let (beforeWrite, afterBatch) = (configuration.beforeWrite, configuration.afterBatch)
        pipeline = SequencingPipeline(
            maxBatch: Self.maxBatch, retryDelays: configuration.retryDelays, logger: logger
        ) { entries in
            try beforeWrite?()
            let seqs = try Self.insert(entries, pool: pool, fanOut: fanOut, now: now(), logger: logger)
            afterBatch?(entries.count)
            return seqs
        }
    }

    // MARK: - Sequencing

    /// Queues `events` without waiting: their place in the sequence is fixed now, and they get consecutive seqs.
    ///
    /// Call it from the actor's write critical section after the actor commit (see the type's documentation), then
    /// wait for the ticket outside it. Encoding happens here, on the caller's thread.
    /// - Parameters:
    ///   - events: the events, in order.
    ///   - clearingHold: whether the append releases its account's hold once durable (the `#sync` of a reconcile).
    ///   - more: work in the same transaction, given the new seqs.
    /// - Returns: the ticket; it fails at once with ``SequencerError/held(_:)`` when the account is held.
    package func enqueue(
        _ events: [SeqEvent], clearingHold: Bool = false,
        more: (@Sendable (Database, [Int64]) throws -> Void)? = nil
    ) -> SequencingTicket {
        let ticket = SequencingTicket()
        guard !events.isEmpty else {
            ticket.complete(.success([]))
            return ticket
        }
        var dids: [DID] = []
        for event in events where !dids.contains(event.did) { dids.append(event.did) }
        pipeline.enqueue(
            .init(
                dids: dids, events: events.map(PreparedEvent.init), more: more, clearsHold: clearingHold,
                ticket: ticket))
        return ticket
    }

    /// Appends `events` and returns once they are durable (and published to live subscribers).
    /// - Parameters:
    ///   - events: the events, in order; they get consecutive seqs.
    /// - Returns: the seqs, one per event.
    @discardableResult
    package func sequence(_ events: [SeqEvent]) async throws -> [Int64] {
        try await enqueue(events).seqs
    }

    /// ``sequence(_:)`` that blocks the calling thread: only for the write critical section (a reconcile) and for
    /// tests on threads that may block.
    /// - Parameters:
    ///   - events: the events.
    /// - Returns: the seqs.
    @discardableResult
    package func sequenceBlocking(_ events: [SeqEvent]) throws -> [Int64] {
        try enqueue(events).wait()
    }

    /// Blocks until none of `did`'s queued events is still waiting to be written (a reconcile calls it first, in the
    /// actor's critical section, so it compares the repo with everything the firehose will have).
    /// - Parameters:
    ///   - did: the account.
    package func settle(_ did: DID) { pipeline.settle(did) }

    /// Whether `did`'s events are refused until a reconcile (an event of it could not be sequenced).
    /// - Parameters:
    ///   - did: the account.
    package func isHeld(_ did: DID) -> Bool { pipeline.isHeld(did) }

    /// An event ready to insert: encoded by its caller, before the shared write.
    struct PreparedEvent: Sendable {
        let did: DID
        let type: SeqEventType
        let bytes: [UInt8]

        init(_ event: SeqEvent) {
            did = event.did
            type = event.eventType
            bytes = event.bodyBytes
        }
    }

    /// Inserts queued appends in one transaction (each entry's `more` right after its rows), and publishes after the
    /// commit: the stored bytes become the frames sent to subscribers.
    /// - Returns: the seqs of each entry.
    static func insert(
        _ entries: [SequencingPipeline.Entry], pool: DatabasePool, fanOut: LiveFanOut, now: Date, logger: Logger
    ) throws -> [[Int64]] {
        let time = Datetime(now).rawValue
        let seenBefore = fanOut.lastPublished
        let (seqs, missed) = try pool.write { db -> ([[Int64]], RowRange) in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO repo_seq (did, eventType, event, invalidated, sequencedAt) \
                    VALUES (?, ?, ?, 0, ?) RETURNING seq
                    """)
            var seqs: [[Int64]] = []
            seqs.reserveCapacity(entries.count)
            for entry in entries {
                var entrySeqs: [Int64] = []
                entrySeqs.reserveCapacity(entry.events.count)
                for row in entry.events {
                    let arguments: StatementArguments = [
                        row.did.rawValue, row.type.rawValue, Data(row.bytes), time,
                    ]
                    guard let seq = try Int64.fetchOne(statement, arguments: arguments) else {
                        throw SequencerError.invalidEvent("INSERT returned no seq")
                    }
                    entrySeqs.append(seq)
                }
                try entry.more?(db, entrySeqs)
                seqs.append(entrySeqs)
            }
            // Rows between what subscribers have seen and ours were committed by another process: send them first,
            // so nothing is skipped.
            let first = seqs[0][0]
            let missed =
                first > seenBefore + 1
                ? try Self.fetchRange(db, after: seenBefore, before: first, limit: nil, logger: logger)
                : RowRange(events: [], through: nil)
            return (seqs, missed)
        }
        var published = missed.events
        for (entry, entrySeqs) in zip(entries, seqs) {
            for (row, seq) in zip(entry.events, entrySeqs) {
                do {
                    published.append(
                        try SequencedEvent(seq: seq, did: row.did, type: row.type, time: time, bodyBytes: row.bytes))
                } catch {
                    logger.error("A sequenced event is not a map", metadata: ["sequencer.seq": "\(seq)"])
                }
            }
        }
        fanOut.publish(published, through: seqs[seqs.count - 1].last!)
        return seqs
    }

    /// Raises the sequence counter so that the next event gets a seq above `seq` (never lowers it).
    ///
    /// Call after restoring `sequencer.sqlite` from a backup with the highest seq relays may have seen (the
    /// distribution's "relay desync" fix, done through the API: `UPDATE sqlite_sequence … WHERE name='repo_seq'`).
    /// - Parameters:
    ///   - seq: the highest seq already handed out.
    package func ensureSeqAtLeast(_ seq: Int64) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sqlite_sequence (name, seq) SELECT 'repo_seq', 0 \
                    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'repo_seq')
                    """)
            try db.execute(
                sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'repo_seq' AND seq < ?", arguments: [seq, seq])
        }
    }

    /// The number of live subscribers (for metrics and tests).
    package var liveSubscriberCount: Int { fanOut.subscriberCount }

    /// The highest seq published to live subscribers: the head of the firehose (for metrics).
    package var headSeq: Int64 { fanOut.lastPublished }
}
