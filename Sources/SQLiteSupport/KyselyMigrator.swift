import Foundation
import GRDB

/// One named schema migration.
package struct SchemaMigration: Sendable {
    /// The name recorded in `kysely_migration` (the reference's file stem, for example `001`).
    package let name: String
    /// Applies the migration.
    package let apply: @Sendable (Database) throws -> Void

    /// A migration.
    /// - Parameters:
    ///   - name: the recorded name; migrations run in the order given, which must match name order as in Kysely.
    ///   - apply: the schema changes.
    package init(_ name: String, apply: @escaping @Sendable (Database) throws -> Void) {
        self.name = name
        self.apply = apply
    }
}

/// Errors from ``KyselyMigrator``.
package enum MigrationError: Error, Equatable, Sendable {
    /// The database records migrations this binary does not know: it was written by a newer version.
    case unknownMigrations([String])
}

/// Migrations tracked the way the reference PDS's Kysely migrator tracks them, so that each side can open the other's
/// files.
///
/// The bookkeeping tables are Kysely's own: `kysely_migration(name, timestamp)` with one row per applied migration
/// (the timestamp is an ISO-8601 string), and `kysely_migration_lock(id, is_locked)` with the `migration_lock` row.
/// A file whose rows match ours is left untouched; missing migrations run in order in one transaction. Like Kysely,
/// a file that records a migration this list lacks is refused.
package struct KyselyMigrator: Sendable {
    /// The migrations, in order.
    package let migrations: [SchemaMigration]

    /// A migrator.
    /// - Parameters:
    ///   - migrations: the migrations in the order they apply.
    package init(_ migrations: [SchemaMigration]) {
        self.migrations = migrations
    }

    /// The names recorded in `kysely_migration`, in name order (empty when the table does not exist).
    /// - Parameters:
    ///   - db: the connection.
    package func appliedMigrations(_ db: Database) throws -> [String] {
        guard try db.tableExists("kysely_migration") else { return [] }
        return try String.fetchAll(db, sql: "SELECT name FROM kysely_migration ORDER BY name")
    }

    /// Whether some migration has not been applied yet (a read-only check).
    /// - Parameters:
    ///   - db: the connection.
    package func hasPendingMigrations(_ db: Database) throws -> Bool {
        let applied = Set(try appliedMigrations(db))
        let unknown = applied.subtracting(migrations.map(\.name))
        if !unknown.isEmpty { throw MigrationError.unknownMigrations(unknown.sorted()) }
        return migrations.contains { !applied.contains($0.name) }
    }

    /// Applies the pending migrations and records them; call inside a write transaction.
    /// - Parameters:
    ///   - db: the writer connection.
    ///   - now: the clock for the recorded timestamps.
    package func migrate(_ db: Database, now: Date = Date()) throws {
        guard try hasPendingMigrations(db) else { return }
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS "kysely_migration" \
                ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null)
                """
        )
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS "kysely_migration_lock" \
                ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null)
                """
        )
        try db.execute(
            sql: "INSERT OR IGNORE INTO kysely_migration_lock (id, is_locked) VALUES ('migration_lock', 0)"
        )
        let applied = Set(try appliedMigrations(db))
        let timestamp = Self.isoTimestamp(now)
        for migration in migrations where !applied.contains(migration.name) {
            try migration.apply(db)
            try db.execute(
                sql: "INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)",
                arguments: [migration.name, timestamp]
            )
        }
    }

    /// `2024-05-01T12:00:00.000Z`, as JavaScript's `Date.toISOString()` writes it.
    static func isoTimestamp(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)
        )
    }
}
