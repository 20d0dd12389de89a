import ATCore
import Foundation
import GRDB
import SQLiteSupport
import Logging

/// The DID document cache in `did_cache.sqlite`, with the reference PDS's schema:
/// `did_doc(did varchar PRIMARY KEY, doc text NOT NULL, updatedAt bigint NOT NULL)` (`updatedAt` in ms since the
/// epoch). The database runs in WAL mode with `synchronous = NORMAL` and a busy timeout.
package final class SQLiteDIDCache: DIDCache {
    /// The TTLs.
    package let ttl: DIDCacheTTL
    /// The background refresh service; add it to the application's `ServiceGroup`.
    package let refresher: DIDCacheRefresher
    private let pool: DatabasePool
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// Opens (creating if needed) the cache database.
    /// - Parameters:
    ///   - path: the file path (`PDS_DID_CACHE_DB_LOCATION`, default `<data>/did_cache.sqlite`).
    ///   - ttl: stale and max TTLs.
    ///   - refresher: the background refresh service.
    ///   - now: the clock, injectable for tests.
    ///   - logger: for refresh failures.
    package init(
        path: String, ttl: DIDCacheTTL = .init(), refresher: DIDCacheRefresher = .init(),
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "pds.did-cache")
    ) throws {
        pool = try DatabasePool.open(at: URL(fileURLWithPath: path), configuration: SQLiteConfiguration())
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-did-cache") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS did_doc (
                        did varchar PRIMARY KEY, doc text NOT NULL, updatedAt bigint NOT NULL)
                    """)
        }
        try migrator.migrate(pool)
        self.ttl = ttl
        self.refresher = refresher
        self.now = now
        self.logger = logger
    }

    package func checkCache(_ did: DID) async throws -> CachedDIDDocument? {
        let row = try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT doc, updatedAt FROM did_doc WHERE did = ?", arguments: [did.rawValue])
                .map { row -> (String, Int64) in (row["doc"], row["updatedAt"]) }
        }
        guard let (text, updatedAt) = row else { return nil }
        guard let document = try? DIDDocument.parse(Array(text.utf8)), document.id == did.rawValue else {
            try await clearEntry(did)
            return nil
        }
        return ttl.entry(did: did, document: document, updatedAt: Self.date(updatedAt), now: now())
    }

    package func cacheDID(_ did: DID, document: DIDDocument, previous: CachedDIDDocument?) async throws {
        let text = String(decoding: document.jsonBytes, as: UTF8.self)
        let updatedAt = Self.milliseconds(now())
        try await pool.write { db in
            if let previous {
                try db.execute(
                    sql: "UPDATE did_doc SET doc = ?, updatedAt = ? WHERE did = ? AND updatedAt = ?",
                    arguments: [text, updatedAt, did.rawValue, Self.milliseconds(previous.updatedAt)])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO did_doc (did, doc, updatedAt) VALUES (?, ?, ?)
                        ON CONFLICT (did) DO UPDATE SET doc = excluded.doc, updatedAt = excluded.updatedAt
                        """,
                    arguments: [did.rawValue, text, updatedAt])
            }
        }
    }

    package func refreshCache(
        _ did: DID, previous: CachedDIDDocument, resolve: @escaping @Sendable () async throws -> DIDDocument?
    ) {
        refresher.enqueue(did) { [self] in
            do {
                if let document = try await resolve() {
                    try await cacheDID(did, document: document, previous: previous)
                } else {
                    try await clearEntry(did)
                }
            } catch {
                logger.debug("DID cache refresh failed", metadata: ["atproto.did": "\(did)", "error": "\(error)"])
            }
        }
    }

    package func clearEntry(_ did: DID) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM did_doc WHERE did = ?", arguments: [did.rawValue])
        }
    }

    package func clear() async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM did_doc") }
    }

    /// The SQLite journal mode (for tests and diagnostics).
    package func journalMode() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
