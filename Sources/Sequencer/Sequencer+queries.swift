import ATCore
import Foundation
import GRDB
import Logging

/// A run of `repo_seq` rows: the emitted events, and the highest seq examined (rows of event types this version
/// does not emit, or that fail to decode, are skipped but still counted as covered).
package struct RowRange: Sendable {
    /// The events, in seq order.
    package var events: [SequencedEvent]
    /// The highest seq examined, `nil` when the range was empty.
    package var through: Int64?
    /// The number of rows examined.
    package var examined = 0
    /// Whether reading stopped at the byte budget (more rows may follow even though fewer than `limit` were read).
    package var reachedByteBudget = false
}

extension Sequencer {
    // MARK: - Reading

    /// The highest seq handed out so far: the larger of the `AUTOINCREMENT` counter and the newest row (0 when
    /// nothing was ever sequenced). A cursor above this is in the future.
    package func currentSeq() async throws -> Int64 {
        try await pool.read { try Self.currentSeq($0) }
    }

    /// Events with `seq > after`, oldest first (invalidated rows excluded).
    /// - Parameters:
    ///   - after: the exclusive lower bound; `nil` for the oldest.
    ///   - limit: the most rows to examine.
    ///   - maxBytes: stop once the stored events read add up to this many bytes (always at least one row): a page of
    ///     large events stays small in memory; `nil` for no byte bound.
    package func requestSeqRange(after: Int64?, limit: Int = 500, maxBytes: Int? = nil) async throws -> RowRange {
        let logger = logger
        return try await pool.read { db in
            try Self.fetchRange(
                db, after: after ?? Int64.min, before: nil, limit: limit, maxBytes: maxBytes, logger: logger)
        }
    }

    /// The first event with `seq > cursor`, if any (the reference's `next`).
    /// - Parameters:
    ///   - cursor: the exclusive lower bound.
    package func nextEvent(after cursor: Int64) async throws -> SequencedEvent? {
        try await requestSeqRange(after: cursor, limit: 1).events.first
    }

    /// The earliest event sequenced at or after `time` (the reference's `earliestAfterTime`).
    /// - Parameters:
    ///   - time: the instant.
    package func earliestAfter(time: Date) async throws -> SequencedEvent? {
        let logger = logger
        let bound = Datetime(time).rawValue
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, did, eventType, event, sequencedAt FROM repo_seq \
                    WHERE sequencedAt >= ? AND invalidated = 0 ORDER BY sequencedAt ASC, seq ASC LIMIT 1
                    """,
                arguments: [bound])
            return rows.compactMap { Self.decode($0, logger: logger) }.first
        }
    }

    /// The newest stored event for `did`, of any type.
    /// - Parameters:
    ///   - did: the account.
    package func lastEvent(for did: DID) throws -> SequencedEvent? {
        let logger = logger
        return try pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT seq, did, eventType, event, sequencedAt FROM repo_seq \
                    WHERE did = ? AND invalidated = 0 ORDER BY seq DESC LIMIT 1
                    """,
                arguments: [did.rawValue]
            ).flatMap { Self.decode($0, logger: logger) }
        }
    }

    /// The rev of the newest `#commit` or `#sync` sequenced for `did`: the repo state the firehose last announced.
    ///
    /// Synchronous, for the write critical section and start-up recovery.
    /// - Parameters:
    ///   - did: the account.
    /// - Returns: the rev, or `nil` when no commit or sync was ever sequenced (or it was deleted with the account).
    package func lastCommitRev(did: DID) throws -> TID? {
        let logger = logger
        return try pool.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT seq, did, eventType, event, sequencedAt FROM repo_seq \
                    WHERE did = ? AND eventType IN ('append', 'sync') AND invalidated = 0 ORDER BY seq DESC LIMIT 1
                    """,
                arguments: [did.rawValue])
            guard let row else { return nil }
            return try Self.commitRev(row, logger: logger)?.rev
        }
    }

    /// The rev of the newest `#commit` or `#sync` of every account that has one, in one pass (start-up recovery).
    package func lastCommitRevs() throws -> [DID: TID] {
        let logger = logger
        return try pool.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, did, eventType, event, sequencedAt FROM repo_seq WHERE seq IN \
                    (SELECT max(seq) FROM repo_seq WHERE eventType IN ('append', 'sync') AND invalidated = 0 GROUP BY did)
                    """)
            var revs: [DID: TID] = [:]
            while let row = try rows.next() {
                guard let (did, rev) = try Self.commitRev(row, logger: logger) else { continue }
                revs[did] = rev
            }
            return revs
        }
    }

    // MARK: - Row access

    /// The account and rev of a stored `#commit`/`#sync` row, read from its stored bytes (no frame is built: recovery
    /// reads one row per account at start-up); `nil` (logged) for rows that do not decode.
    static func commitRev(_ row: Row, logger: Logger) throws -> (did: DID, rev: TID)? {
        guard let typeName: String = row["eventType"], let type = SeqEventType(rawValue: typeName),
            let data: Data = row["event"]
        else { return nil }
        let event: SeqEvent
        do {
            event = try SeqEvent(type: type, bodyBytes: [UInt8](data))
        } catch {
            let seq: Int64 = row["seq"]
            logger.warning("Skipping an undecodable event", metadata: ["sequencer.seq": "\(seq)"])
            return nil
        }
        switch event {
        case .commit(let commit): return (commit.repo, commit.rev)
        case .sync(let sync): return (sync.did, sync.rev)
        case .identity, .account: return nil
        }
    }

    static func currentSeq(_ db: Database) throws -> Int64 {
        let counter =
            try db.tableExists("sqlite_sequence")
            ? try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'repo_seq'") ?? 0 : 0
        let newest = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM repo_seq") ?? 0
        return max(counter, newest)
    }

    /// Rows with `after < seq < before` (invalidated excluded), oldest first; at most `limit` rows, and no more once
    /// the stored events read reach `maxBytes` (the row that reaches it included).
    static func fetchRange(
        _ db: Database, after: Int64, before: Int64?, limit: Int?, maxBytes: Int? = nil, logger: Logger
    ) throws -> RowRange {
        var sql = "SELECT seq, did, eventType, event, sequencedAt FROM repo_seq WHERE seq > ? AND invalidated = 0"
        var arguments: StatementArguments = [after]
        if let before {
            sql += " AND seq < ?"
            arguments += [before]
        }
        sql += " ORDER BY seq ASC"
        if let limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        var range = RowRange(events: [], through: nil)
        var bytes = 0
        while let row = try rows.next() {
            range.through = row["seq"]
            range.examined += 1
            if let event = decode(row, logger: logger) {
                range.events.append(event)
                bytes += event.bodyBytes.count
            }
            if let maxBytes, bytes >= maxBytes {
                range.reachedByteBudget = true
                break
            }
        }
        return range
    }

    /// A row as an event; `nil` (logged) for event types this version does not emit and for undecodable rows.
    static func decode(_ row: Row, logger: Logger) -> SequencedEvent? {
        let seq: Int64 = row["seq"]
        guard let typeName: String = row["eventType"], let type = SeqEventType(rawValue: typeName) else {
            logger.debug("Skipping an event of an unknown type", metadata: ["sequencer.seq": "\(seq)"])
            return nil
        }
        guard let didString: String = row["did"], let did = try? DID(didString),
            let data: Data = row["event"], let time: String = row["sequencedAt"],
            let event = try? SequencedEvent(seq: seq, did: did, type: type, time: time, bodyBytes: [UInt8](data))
        else {
            logger.warning("Skipping an undecodable event", metadata: ["sequencer.seq": "\(seq)"])
            return nil
        }
        return event
    }
}
