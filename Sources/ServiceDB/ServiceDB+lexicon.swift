import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// A resolved (or failed) Lexicon, cached for OAuth permission sets (`lexicon`, reference migration 006).
    /// A failed resolution keeps the last good `lexicon` and `uri` and only moves `updatedAt`.
    package struct LexiconRecord: Sendable, Equatable {
        package var nsid: String
        package var createdAt: Date
        /// The last resolution attempt.
        package var updatedAt: Date
        /// The last successful resolution, `nil` if none ever succeeded.
        package var lastSucceededAt: Date?
        /// The `at://` URI of the schema record.
        package var uri: String?
        /// The Lexicon document, JSON; `nil` when it never resolved.
        package var lexicon: String?

        /// Creates a record.
        package init(
            nsid: String, createdAt: Date, updatedAt: Date, lastSucceededAt: Date?, uri: String?, lexicon: String?
        ) {
            self.nsid = nsid
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.lastSucceededAt = lastSucceededAt
            self.uri = uri
            self.lexicon = lexicon
        }
    }

    /// The cached Lexicon `nsid`.
    package func lexicon(nsid: String) async throws -> LexiconRecord? {
        try await pool.hoppingRead { db in
            try Row.fetchOne(db, sql: #"SELECT * FROM "lexicon" WHERE "nsid" = ?"#, arguments: [nsid]).map { row in
                func date(_ column: String) throws -> Date? {
                    guard let text = row[column] as String? else { return nil }
                    guard let parsed = try? Datetime(text).date else {
                        throw ServiceDBError.corruptRow("lexicon.\(column)")
                    }
                    return parsed
                }
                guard let created = try date("createdAt"), let updated = try date("updatedAt") else {
                    throw ServiceDBError.corruptRow("lexicon.createdAt")
                }
                return LexiconRecord(
                    nsid: row["nsid"], createdAt: created, updatedAt: updated,
                    lastSucceededAt: try date("lastSucceededAt"), uri: row["uri"], lexicon: row["lexicon"])
            }
        }
    }

    /// Stores `record`, then deletes never-resolved entries last tried before `forgetFailuresBefore` (the reference's
    /// garbage collection, on `lexicon_failures_idx`).
    package func upsertLexicon(_ record: LexiconRecord, forgetFailuresBefore: Date) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO "lexicon" ("nsid", "createdAt", "updatedAt", "lastSucceededAt", "uri", "lexicon")
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT ("nsid") DO UPDATE SET "createdAt" = excluded."createdAt",
                      "updatedAt" = excluded."updatedAt", "lastSucceededAt" = excluded."lastSucceededAt",
                      "uri" = excluded."uri", "lexicon" = excluded."lexicon"
                    """,
                arguments: [
                    record.nsid, Self.timestamp(record.createdAt), Self.timestamp(record.updatedAt),
                    record.lastSucceededAt.map(Self.timestamp), record.uri, record.lexicon,
                ])
            try db.execute(
                sql: #"DELETE FROM "lexicon" WHERE "lexicon" IS NULL AND "updatedAt" < ?"#,
                arguments: [Self.timestamp(forgetFailuresBefore)])
        }
    }
}
