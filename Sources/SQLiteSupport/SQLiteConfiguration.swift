import ATCore
import CSQLiteShim
import Foundation
import GRDB

/// The one place where this package's SQLite connection settings live.
///
/// Every database (actor stores, account, sequencer, DID cache) opens through ``grdbConfiguration`` so that WAL,
/// durability, busy handling and reader counts are the same everywhere.
///
/// - Note: The reference PDS sets no `synchronous` pragma (SQLite's default is `FULL`, also in WAL mode) and no busy
///   timeout (it retries `SQLITE_BUSY` in application code). Here `synchronous=NORMAL` is set explicitly: in WAL mode
///   a committed transaction survives a process crash, and only an OS crash or power loss can roll back the last
///   transactions, never corrupt the file. A busy timeout replaces application-level retry loops.
package struct SQLiteConfiguration: Sendable, Equatable {
    /// How long a connection waits for a lock before `SQLITE_BUSY` surfaces.
    package var busyTimeout: Duration
    /// `PRAGMA synchronous=NORMAL` when `true`, `FULL` when `false`.
    package var synchronousNormal: Bool
    /// `PRAGMA foreign_keys`.
    package var foreignKeys: Bool
    /// `PRAGMA wal_autocheckpoint=0` and no checkpoint when the last connection closes
    /// (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`) when `true` (`PDS_SQLITE_DISABLE_WAL_AUTO_CHECKPOINT`, and always when the
    /// continuous backup is on): for WAL shippers that checkpoint themselves, so no committed frame leaves the WAL
    /// before it was shipped.
    package var disableWALAutoCheckpoint: Bool
    /// The most reader connections a pool opens (they are opened lazily, one per concurrent read).
    package var maximumReaderCount: Int
    /// `PRAGMA cache_size` in KiB per connection (SQLite's default is 2000 KiB); smaller keeps many open pools cheap.
    package var cacheSizeKiB: Int

    /// The defaults: 5 s busy timeout, `synchronous=NORMAL`, foreign keys on, auto-checkpoint on, 2 readers.
    /// - Parameters:
    ///   - busyTimeout: how long to wait on a lock.
    ///   - synchronousNormal: `NORMAL` (default) or `FULL`.
    ///   - foreignKeys: whether to enforce foreign keys.
    ///   - disableWALAutoCheckpoint: whether to turn SQLite's automatic checkpoints off.
    ///   - maximumReaderCount: the most reader connections per pool.
    ///   - cacheSizeKiB: the page cache limit per connection.
    package init(
        busyTimeout: Duration = .seconds(5),
        synchronousNormal: Bool = true,
        foreignKeys: Bool = true,
        disableWALAutoCheckpoint: Bool = false,
        maximumReaderCount: Int = 2,
        cacheSizeKiB: Int = 2000
    ) {
        self.busyTimeout = busyTimeout
        self.synchronousNormal = synchronousNormal
        self.foreignKeys = foreignKeys
        self.disableWALAutoCheckpoint = disableWALAutoCheckpoint
        self.maximumReaderCount = maximumReaderCount
        self.cacheSizeKiB = cacheSizeKiB
    }

    /// The file descriptors one open pool can hold at most: the writer holds the database, `-wal` and `-shm` files
    /// (the `-shm` descriptor is shared by all connections of the process), each reader the database and `-wal`.
    package var fileDescriptorsPerPool: Int { 3 + 2 * maximumReaderCount }

    /// The GRDB configuration for a WAL `DatabasePool` (or a `DatabaseQueue` in WAL mode).
    package var grdbConfiguration: Configuration {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.foreignKeysEnabled = foreignKeys
        configuration.busyMode = .timeout(busyTimeout.timeInterval)
        configuration.maximumReaderCount = max(1, maximumReaderCount)
        let synchronous = synchronousNormal ? "NORMAL" : "FULL"
        let disableCheckpoint = disableWALAutoCheckpoint
        let cacheSize = cacheSizeKiB
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(cacheSize)")
            if disableCheckpoint, let connection = db.sqliteConnection {
                let code = pds_sqlite_disable_checkpoint_on_close(connection)
                guard code == 0 else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE")
                }
            }
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
                if disableCheckpoint { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            }
        }
        return configuration
    }
}
