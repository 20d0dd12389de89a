import ATCore
import Foundation
import GRDB
import SQLiteSupport

/// One open actor store: a WAL `DatabasePool` (one writer, up to `maximumReaderCount` lazily opened readers).
///
/// Handles are created and closed only by ``ActorHandleCache``, which guarantees one handle per file and closes a
/// handle only once no reader or transactor holds it.
package final class ActorHandle: Sendable {
    /// The actor.
    package let did: DID
    /// The connections.
    let pool: DatabasePool

    private init(did: DID, pool: DatabasePool) {
        self.did = did
        self.pool = pool
    }

    /// Opens the store of `did` and brings its schema up to date (blocking).
    ///
    /// A file created by the reference PDS (migrations recorded in `kysely_migration`) is recognised as migrated.
    /// - Parameters:
    ///   - did: the actor.
    ///   - location: where its files are.
    ///   - configuration: the SQLite settings.
    ///   - create: whether a missing file is created (only `ActorStore.create` does so).
    static func open(
        did: DID,
        location: ActorLocation,
        configuration: SQLiteConfiguration,
        create: Bool
    ) throws -> ActorHandle {
        if !create, !FileManager.default.fileExists(atPath: location.database.path) {
            throw ActorStoreError.actorNotFound(did)
        }
        let pool = try DatabasePool.open(at: location.database, configuration: configuration, createDirectories: create)
        do {
            try pool.writeWithoutTransaction { db in
                guard try ActorSchema.migrator.hasPendingMigrations(db) else { return }
                try db.inTransaction(.immediate) {
                    try ActorSchema.migrator.migrate(db)
                    return .commit
                }
            }
        } catch {
            try? pool.close()
            throw error
        }
        return ActorHandle(did: did, pool: pool)
    }

    /// Closes every connection (blocking). Only called once nothing uses the handle.
    func close() {
        // Closing fails only while statements are still running, which the cache's leases rule out.
        try? pool.close()
    }
}
