import ATCore
import Foundation
import GRDB
import Identity
import SQLiteSupport

/// The embedded directory's SQLite operation log: every accepted operation of every DID, with its CID, its
/// acceptance time, whether a recovery nullified it, and a global sequence number for `/export`.
///
/// Submission validates and appends inside one write transaction, so concurrent submissions for a DID are
/// serialized and the prev chain cannot fork by accident.
package final class PLCOperationStore: Sendable {
    /// An `/export` cursor.
    package enum ExportCursor: Sendable, Equatable {
        /// Entries with a greater sequence number, in sequence order (the current format).
        case sequence(Int64)
        /// Entries accepted after a time, in time order (the legacy format).
        case createdAfter(Date)
    }

    let pool: DatabasePool
    /// Wakes `/export/stream` connections after each commit of new operations.
    package let feed = PLCOperationFeed()
    private let now: @Sendable () -> Date

    /// Opens (creating if needed) the directory database.
    /// - Parameters:
    ///   - path: the SQLite file.
    ///   - now: the clock that stamps `createdAt` and judges the recovery window; injectable for tests.
    package init(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws {
        pool = try DatabasePool.open(at: URL(fileURLWithPath: path), configuration: SQLiteConfiguration())
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-operations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE operations (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        did TEXT NOT NULL,
                        cid TEXT NOT NULL,
                        operation TEXT NOT NULL,
                        nullified INTEGER NOT NULL DEFAULT 0,
                        createdAt TEXT NOT NULL,
                        UNIQUE (did, cid)
                    );
                    CREATE INDEX operations_did_seq ON operations (did, seq);
                    CREATE INDEX operations_created_at ON operations (createdAt);
                    """)
        }
        migrator.registerMigration("002-replica") { db in try Self.migrateReplica(db) }
        try migrator.migrate(pool)
        self.now = now
    }

    // MARK: - Writing

    /// Validates `operation` as the next operation of `did` and appends it, nullifying what a recovery overrides.
    ///
    /// Re-submitting an operation that is already current is accepted and changes nothing.
    /// - Parameters:
    ///   - operation: the signed operation.
    ///   - did: the DID it is for.
    /// - Throws: `PLCError` saying why it was refused.
    package func submit(_ operation: PLCOperation, for did: DID) async throws {
        try PLCValidator.checkIncoming(operation)
        let cid = operation.cid
        let text = operation.jsonValue.serializedString
        try await pool.write { db in
            let current = try Self.entries(db, did: did, includeNullified: false)
            if current.contains(where: { $0.cid == cid }) { return }
            let acceptedAt = try self.nextCreatedAt(db)
            let acceptance = try PLCValidator.assureValidNext(
                did: did, current: current, proposed: operation, now: acceptedAt)
            for nullified in acceptance.nullified {
                try db.execute(
                    sql: "UPDATE operations SET nullified = 1 WHERE did = ? AND cid = ?",
                    arguments: [did.rawValue, nullified.description])
            }
            try db.execute(
                sql: "INSERT INTO operations (did, cid, operation, nullified, createdAt) VALUES (?, ?, ?, 0, ?)",
                arguments: [did.rawValue, cid.description, text, Datetime(acceptedAt).rawValue])
        }
        feed.notify()
    }

    /// The acceptance time of a new operation: the clock, but never at or before the latest `createdAt` in the
    /// log, so `/export` (ordered by `createdAt`) never runs backwards and `after=<createdAt>` paging never skips an
    /// operation. Called inside the write transaction, which serializes submissions.
    ///
    /// The stamps have millisecond precision; under a burst of more than 1,000 operations a second they run ahead of
    /// the clock by a few milliseconds, and the clock catches up once the burst ends.
    private func nextCreatedAt(_ db: Database) throws -> Date {
        let clock = now()
        guard let latestText = try String.fetchOne(db, sql: "SELECT MAX(createdAt) FROM operations"),
            let latest = try? Datetime(latestText).date
        else { return clock }
        guard Datetime(clock).rawValue <= latestText else { return clock }
        // One millisecond after the latest, placed mid-millisecond so truncation to milliseconds cannot undo it.
        let latestMilliseconds = (latest.timeIntervalSince1970 * 1000).rounded()
        return Date(timeIntervalSince1970: (latestMilliseconds + 1.5) / 1000)
    }

    // MARK: - Reading

    /// The audit log: every operation of `did`, nullified ones included, oldest first.
    /// - Parameters:
    ///   - did: the DID.
    package func auditLog(_ did: DID) async throws -> [PLCLogEntry] {
        try await pool.read { db in try Self.entries(db, did: did, includeNullified: true) }
    }

    /// The current operations of `did`, oldest first.
    /// - Parameters:
    ///   - did: the DID.
    /// - Throws: `PLCError.notRegistered` when there are none.
    package func operationLog(_ did: DID) async throws -> [PLCOperation] {
        let entries = try await pool.read { db in try Self.entries(db, did: did, includeNullified: false) }
        guard !entries.isEmpty else { throw PLCError.notRegistered(did.rawValue) }
        return entries.map(\.operation)
    }

    /// The latest current operation of `did`.
    /// - Parameters:
    ///   - did: the DID.
    /// - Throws: `PLCError.notRegistered` when there is none.
    package func lastOperation(_ did: DID) async throws -> PLCOperation {
        let text = try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT operation FROM operations WHERE did = ? AND nullified = 0 ORDER BY seq DESC LIMIT 1",
                arguments: [did.rawValue])
        }
        guard let text else { throw PLCError.notRegistered(did.rawValue) }
        return try PLCOperation(jsonBytes: Array(text.utf8))
    }

    /// The current state of `did`.
    /// - Parameters:
    ///   - did: the DID.
    /// - Throws: `PLCError.notRegistered`, or `.notAvailable` when tombstoned.
    package func state(_ did: DID) async throws -> PLCState {
        guard let state = try await lastOperation(did).state else { throw PLCError.notAvailable(did.rawValue) }
        return state
    }

    /// A page of the global log, oldest first.
    /// - Parameters:
    ///   - cursor: where to start, or `nil` for the beginning (in the legacy, time-ordered form).
    ///   - count: the page size (at most 1000).
    /// - Returns: entries with their sequence numbers.
    package func export(after cursor: ExportCursor?, count: Int) async throws -> [(seq: Int64, entry: PLCLogEntry)] {
        let limit = max(1, min(count, 1000))
        return try await pool.read { db in
            let rows: [Row]
            switch cursor {
            case .sequence(let seq)?:
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM operations WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit])
            case .createdAfter(let date)?:
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM operations WHERE createdAt > ? ORDER BY createdAt, position, seq LIMIT ?",
                    arguments: [Datetime(date).rawValue, limit])
            case nil:
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM operations ORDER BY createdAt, position, seq LIMIT ?", arguments: [limit])
            }
            return try rows.map { row -> (seq: Int64, entry: PLCLogEntry) in
                let seq: Int64 = row["seq"]
                return (seq, try Self.entry(row))
            }
        }
    }

    /// The greatest sequence number in the log, 0 when it is empty.
    package func latestSequence() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM operations") ?? 0 }
    }

    // MARK: - Rows

    static func entries(_ db: Database, did: DID, includeNullified: Bool) throws -> [PLCLogEntry] {
        let filter = includeNullified ? "" : " AND nullified = 0"
        return try Row.fetchAll(
            db, sql: "SELECT * FROM operations WHERE did = ?\(filter) ORDER BY seq", arguments: [did.rawValue]
        ).map(entry)
    }

    static func entry(_ row: Row) throws -> PLCLogEntry {
        let did: String = row["did"]
        let cid: String = row["cid"]
        let operation: String = row["operation"]
        let createdAt: String = row["createdAt"]
        let nullified: Bool = row["nullified"]
        return PLCLogEntry(
            did: try DID(did), operation: try PLCOperation(jsonBytes: Array(operation.utf8)), cid: try CID(cid),
            nullified: nullified, createdAt: try Datetime(createdAt).date)
    }
}
