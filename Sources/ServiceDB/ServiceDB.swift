import ATCore
import Foundation
import GRDB
import SQLiteSupport

/// The service database, `account.sqlite`: accounts, handles, passwords, sessions, app passwords, invite codes,
/// email tokens and the mirror of each account's repo root.
///
/// Pure storage: no HTTP, no orchestration. Every method is one transaction.
package final class ServiceDB: Sendable {
    let pool: DatabasePool

    /// Opens (creating and migrating as needed) the database at `url`.
    /// - Parameters:
    ///   - url: the `account.sqlite` file.
    ///   - configuration: the shared SQLite settings.
    package init(url: URL, configuration: SQLiteConfiguration = SQLiteConfiguration()) throws {
        pool = try DatabasePool.open(at: url, configuration: configuration)
        try pool.write { db in try ServiceSchema.migrator.migrate(db) }
    }

    /// Runs `select 1`, as the health check does.
    package func ping() async throws {
        _ = try await pool.hoppingRead { db in try Int.fetchOne(db, sql: "select 1") }
    }

    /// The current time as the reference stores it (`2024-05-01T12:00:00.000Z`).
    static func timestamp(_ date: Date = Date()) -> String {
        Datetime(date).rawValue
    }
}
