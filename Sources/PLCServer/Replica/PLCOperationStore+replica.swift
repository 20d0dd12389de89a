import ATCore
import Foundation
import GRDB
import Identity
import PLCBundle

/// The replica's part of the op store: each upstream line's original bytes and position beside the operation, the
/// operations it refused, and its resume cursor.
extension PLCOperationStore {
    /// Adds the replica columns and tables (migration `002-replica`).
    static func migrateReplica(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE operations ADD COLUMN line TEXT;
                ALTER TABLE operations ADD COLUMN position INTEGER;
                CREATE INDEX operations_export ON operations (createdAt, position, seq);
                CREATE TABLE replica_rejections (
                    position INTEGER PRIMARY KEY,
                    did TEXT,
                    cid TEXT,
                    createdAt TEXT,
                    reason TEXT NOT NULL,
                    line TEXT NOT NULL,
                    rejectedAt TEXT NOT NULL
                );
                CREATE TABLE replica_cursor (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    state TEXT NOT NULL
                );
                """)
    }

    /// The replica's committed cursor, `nil` when this database never replicated.
    package func replicaCursor() async throws -> PLCReplicaCursor? {
        let text = try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT state FROM replica_cursor WHERE id = 1")
        }
        guard let text else { return nil }
        return try JSONDecoder().decode(PLCReplicaCursor.self, from: Data(text.utf8))
    }

    /// Whether the database holds operations (of any origin).
    package func isEmpty() async throws -> Bool {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1 FROM operations LIMIT 1") == nil }
    }

    /// Commits one page of replica decisions and the cursor after it, in one transaction: a crash leaves either the
    /// whole page and its cursor or neither, so a restart neither skips nor repeats an operation.
    /// - Parameters:
    ///   - decisions: the page's decisions, in upstream order.
    ///   - cursor: the cursor after the page.
    ///   - rejectedAt: the time stamped on new rejections.
    package func commitReplicaPage(_ decisions: [PLCReplicaDecision], cursor: PLCReplicaCursor, rejectedAt: Date)
        async throws
    {
        let state = String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self)
        let stamp = Datetime(rejectedAt).rawValue
        try await pool.write { db in
            for decision in decisions {
                switch decision.outcome {
                case .duplicate:
                    continue
                case .accepted(let entry, let nullifies):
                    for cid in nullifies {
                        try db.execute(
                            sql: "UPDATE operations SET nullified = 1 WHERE did = ? AND cid = ?",
                            arguments: [entry.did.rawValue, cid.description])
                    }
                    try db.execute(
                        sql: """
                            INSERT OR IGNORE INTO operations (did, cid, operation, nullified, createdAt, line, position)
                            VALUES (?, ?, ?, 0, ?, ?, ?)
                            """,
                        arguments: [
                            entry.did.rawValue, entry.cid.description, entry.operation.jsonValue.serializedString,
                            Datetime(entry.createdAt).rawValue, decision.line, decision.position,
                        ])
                case .rejected(let reason):
                    try db.execute(
                        sql: """
                            INSERT OR IGNORE INTO replica_rejections
                                (position, did, cid, createdAt, reason, line, rejectedAt)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            decision.position, decision.did, decision.cid, decision.createdAt, reason, decision.line,
                            stamp,
                        ])
                }
            }
            try db.execute(
                sql: "INSERT INTO replica_cursor (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = ?",
                arguments: [state, state])
        }
        feed.notify()
    }

    /// The operations the replica refused, oldest first.
    /// - Parameters:
    ///   - after: only those after this position.
    ///   - limit: at most this many.
    package func rejectedOperations(after: Int64 = -1, limit: Int = 1000) async throws -> [PLCRejectedOperation] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM replica_rejections WHERE position > ? ORDER BY position LIMIT ?",
                arguments: [after, limit]
            ).map { row in
                PLCRejectedOperation(
                    position: row["position"], did: row["did"], cid: row["cid"], createdAt: row["createdAt"],
                    reason: row["reason"], line: row["line"], rejectedAt: row["rejectedAt"])
            }
        }
    }

    /// A stretch of the log in export order (`createdAt`, then upstream position, then sequence) as plcbundle lines:
    /// the upstream's original line for replicated operations, this directory's `/export` line for its own.
    /// - Parameters:
    ///   - offset: how many operations of the export order to skip.
    ///   - limit: at most this many.
    package func exportLines(offset: Int, limit: Int) async throws -> [PLCBundleLine] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM operations ORDER BY createdAt, position, seq LIMIT ? OFFSET ?",
                arguments: [limit, offset]
            ).map { row in
                let createdAt: String = row["createdAt"]
                let did: String = row["did"]
                if let line: String = row["line"] { return PLCBundleLine(line: line, did: did, createdAt: createdAt) }
                // This directory's own `/export` line (`PLCLogEntry.jsonValue`: compact, members sorted), put
                // together from the stored operation text, which is that operation's own serialisation.
                let cid: String = row["cid"]
                let operation: String = row["operation"]
                let nullified: Bool = row["nullified"]
                let line =
                    #"{"cid":"\#(cid)","createdAt":"\#(createdAt)","did":"\#(did)","nullified":\#(nullified),"#
                    + #""operation":\#(operation)}"#
                return PLCBundleLine(line: line, did: did, createdAt: createdAt)
            }
        }
    }

    /// How many operations the log holds.
    package func operationCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operations") ?? 0 }
    }
}
