import ATCore
import Foundation
import GRDB
import Logging
import SQLiteSupport
import ServiceLifecycle

/// The firehose event log (`sequencer.sqlite`, table `repo_seq`) and its live fan-out.
///
/// Writes are synchronous (``sequence(_:)`` and the `sequence…` conveniences) so they can run inside another
/// database's transaction closure or commit hook; each call is one `sequencer.sqlite` transaction and returns the
/// seqs, strictly increasing and never reused (`AUTOINCREMENT`). Subscribers are notified as soon as the insert
/// commits; ``run()`` (a `Service`) adds a poll backstop for rows written by another process (the admin CLI) and
/// prunes events older than the retention window.
///
/// ## The write protocol (DESIGN §4)
///
/// The guarantee: *an acknowledged write always has its firehose event, and no event ever exists for a write that
/// was not durable.* `sequencer.sqlite` and the actor's `store.sqlite` are separate files, so no single transaction
/// covers both (SQLite's multi-file `ATTACH` commits are not atomic in WAL mode either). The order is therefore:
///
/// 1. In the actor's write critical section: format the commit and commit the actor transaction (durable).
/// 2. Still in that critical section (after the commit, before any other write to the actor can start): sequence
///    the event with ``sequenceCommit(did:commit:)``, retrying transient failures (``sequence(_:attempts:)``).
/// 3. Leave the critical section; only now acknowledge the client.
///
/// The reference PDS sequences *inside* the actor transaction, before it commits, so a crash or a failed commit
/// after step 2 leaves an event for a write that never happened — an event can never be taken back from relays.
/// Sequencing after the commit turns every failure into the recoverable case instead: a durable commit without an
/// event. Doing it inside the same critical section keeps one actor's events in rev order (a second write cannot
/// sequence its `#commit` before the first one's) and means the next writer sees a settled state.
///
/// Recovery closes the remaining window (a crash, or a sequencing failure that outlived the retries, between steps
/// 1 and 2). For each actor, in its critical section, compare the repo root with ``lastCommitRev(did:)`` through
/// ``recoveryStatus(did:rootRev:)``; if the root is newer (or nothing was ever sequenced), emit a `#sync` of the
/// current root with ``reconcile(did:commitCID:commitBlock:)``. A `#sync` and not the missing `#commit`s: the
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
    let logger: Logger
    /// Concurrent ``sequence(_:)`` calls share a transaction (see ``GroupCommit``).
    let groupCommit: GroupCommit<[PreparedEvent], [Int64]>

    /// The most calls one group commit takes.
    static let maxGroupCommit = 256

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
        let pool = self.pool
        let now = configuration.now
        groupCommit = GroupCommit(maxBatch: Self.maxGroupCommit) { groups in
            try Self.insert(groups, pool: pool, fanOut: fanOut, now: now(), logger: logger)
        }
    }

    // MARK: - Sequencing

    /// Appends `events` in one transaction and notifies live subscribers once it has committed.
    ///
    /// Synchronous: call it from the actor's write critical section, after the actor commit (see the type's
    /// documentation).
    /// - Parameters:
    ///   - events: the events, in order; they get consecutive seqs.
    /// - Returns: the seqs, one per event.
    @discardableResult
    package func sequence(_ events: [SeqEvent]) throws -> [Int64] {
        try sequence(events, nil)
    }

    /// ``sequence(_:)`` with up to `attempts` tries for database failures (a lock held past the busy timeout by
    /// another process, a full disk that is being cleared), sleeping 10 ms, 100 ms, 500 ms… in between.
    ///
    /// It blocks the calling thread while it waits: meant for the write critical section, where giving up means
    /// leaving the actor to recovery.
    /// - Parameters:
    ///   - events: the events.
    ///   - attempts: the most tries (at least one).
    /// - Returns: the seqs.
    @discardableResult
    package func sequence(_ events: [SeqEvent], attempts: Int) throws -> [Int64] {
        let delays: [Duration] = [.milliseconds(10), .milliseconds(100), .milliseconds(500)]
        var attempt = 1
        while true {
            do {
                return try sequence(events)
            } catch let error as DatabaseError where attempt < attempts {
                let delay = delays[min(attempt - 1, delays.count - 1)]
                logger.warning(
                    "Sequencing failed, retrying",
                    metadata: ["sequencer.attempt": "\(attempt)", "error": "\(error.resultCode)"])
                Thread.sleep(forTimeInterval: delay.timeInterval)
                attempt += 1
            }
        }
    }

    /// An event ready to insert: encoded by its caller, before the shared write.
    struct PreparedEvent {
        let did: DID
        let type: SeqEventType
        let body: LexValue
        let bytes: Data

        init(_ event: SeqEvent) {
            did = event.did
            type = event.eventType
            body = event.body
            bytes = Data(DAGCBOR.encode(body))
        }
    }

    /// Inserts `events`, runs `more` in the same transaction (given the new seqs), and publishes after the commit.
    ///
    /// Without `more`, concurrent calls share one transaction through ``GroupCommit`` (one fsync for the batch; each
    /// call's events still get consecutive seqs).
    func sequence(_ events: [SeqEvent], _ more: ((Database, [Int64]) throws -> Void)?) throws -> [Int64] {
        guard !events.isEmpty else { return [] }
        let prepared = events.map(PreparedEvent.init)
        guard let more else { return try groupCommit.submit(prepared) }
        return try Self.insert([prepared], pool: pool, fanOut: fanOut, now: configuration.now(), logger: logger) {
            try more($0, $1[0])
        }[0]
    }

    /// Inserts groups of events in one transaction, runs `more` in it, and publishes after the commit.
    /// - Returns: the seqs of each group.
    static func insert(
        _ groups: [[PreparedEvent]], pool: DatabasePool, fanOut: LiveFanOut, now: Date, logger: Logger,
        more: (Database, [[Int64]]) throws -> Void = { _, _ in }
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
            seqs.reserveCapacity(groups.count)
            for group in groups {
                var groupSeqs: [Int64] = []
                groupSeqs.reserveCapacity(group.count)
                for row in group {
                    let arguments: StatementArguments = [row.did.rawValue, row.type.rawValue, row.bytes, time]
                    guard let seq = try Int64.fetchOne(statement, arguments: arguments) else {
                        throw SequencerError.invalidEvent("INSERT returned no seq")
                    }
                    groupSeqs.append(seq)
                }
                seqs.append(groupSeqs)
            }
            try more(db, seqs)
            // Rows between what subscribers have seen and ours were committed by another process (or by a
            // concurrent call here that has not published yet): send them first, so nothing is skipped.
            let first = seqs[0][0]
            let missed =
                first > seenBefore + 1
                ? try Self.fetchRange(db, after: seenBefore, before: first, limit: nil, logger: logger)
                : RowRange(events: [], through: nil)
            return (seqs, missed)
        }
        var published = missed.events
        for (group, groupSeqs) in zip(groups, seqs) {
            for (row, seq) in zip(group, groupSeqs) {
                published.append(SequencedEvent(seq: seq, did: row.did, type: row.type, time: time, body: row.body))
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
}
