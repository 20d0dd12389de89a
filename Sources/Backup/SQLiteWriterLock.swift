import CSQLiteShim
import Foundation

/// Holds a database's write lock on a connection of its own, so no writer of any connection or process commits while
/// the backup reads the end of the WAL, checkpoints and copies the main file.
///
/// `BEGIN IMMEDIATE` takes SQLite's WAL write lock: writers of the server wait on their busy timeout meanwhile. A
/// passive checkpoint runs on a second connection (a checkpoint needs no write lock, and the lock holder's read
/// snapshot is the newest, so it does not hold the checkpoint back). Both connections are opened with
/// checkpoint-on-close off, and neither creates a missing file.
package enum SQLiteWriterLock {
    /// What a checkpoint did.
    package struct Checkpoint: Sendable {
        /// Frames in the WAL.
        package var frames: Int
        /// Frames backfilled into the main file.
        package var backfilled: Int
        /// Whether every frame is in the main file (the next writer may restart the WAL).
        package var complete: Bool { backfilled == frames }
    }

    /// A read transaction on a connection of its own, holding the newest snapshot as of when it began: while it is
    /// open no checkpoint backfills a frame committed after it began and no writer restarts the WAL, so the main file
    /// holds that snapshot's pages (or older ones its WAL frames replace). ``close()`` ends it.
    package final class ReadSnapshot {
        private var db: OpaquePointer?

        init(path: String, busyTimeout: Duration) throws {
            let db = try SQLiteWriterLock.open(path, busyTimeout: busyTimeout)
            self.db = db
            do {
                try SQLiteWriterLock.execute(db, "BEGIN", path: path)
                try SQLiteWriterLock.execute(db, "SELECT count(*) FROM sqlite_master", path: path)
            } catch {
                close()
                throw error
            }
        }

        /// Ends the read transaction and closes the connection.
        package func close() {
            guard let db else { return }
            _ = sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            sqlite3_close_v2(db)
            self.db = nil
        }

        deinit { close() }
    }

    /// Runs `body` under the write lock of the database at `path`; `nil` when the file does not exist.
    /// - Parameters:
    ///   - busyTimeout: how long to wait for the lock (a writer in the middle of a transaction).
    ///   - body: gets a function that runs a passive checkpoint, and one that opens a ``ReadSnapshot`` of the state
    ///     under the lock, to read the main file after the lock is released.
    package static func withLock<T>(
        path: String, busyTimeout: Duration = .seconds(10),
        _ body: (_ checkpoint: () throws -> Checkpoint, _ snapshot: () throws -> ReadSnapshot) throws -> T
    ) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let holder = try open(path, busyTimeout: busyTimeout)
        defer { sqlite3_close_v2(holder) }
        try execute(holder, "BEGIN IMMEDIATE", path: path)
        defer { _ = sqlite3_exec(holder, "ROLLBACK", nil, nil, nil) }
        // Reading inside the transaction pins the newest snapshot (a schema read is enough).
        try execute(holder, "SELECT count(*) FROM sqlite_master", path: path)
        let checkpoint: () throws -> Checkpoint = {
            let checkpointer = try open(path, busyTimeout: busyTimeout)
            defer { sqlite3_close_v2(checkpointer) }
            // A connection opens the WAL at its first read: before it, a checkpoint does nothing and reports -1.
            try execute(checkpointer, "SELECT count(*) FROM sqlite_master", path: path)
            var frames: Int32 = 0
            var backfilled: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(checkpointer, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &backfilled)
            guard code == SQLITE_OK else { throw failure(checkpointer, code, path: path, doing: "checkpoint") }
            guard frames >= 0, backfilled >= 0 else {
                throw BackupError.snapshotFailed(path: path, cause: "checkpoint: the database is not in WAL mode")
            }
            return Checkpoint(frames: Int(frames), backfilled: Int(backfilled))
        }
        return try body(checkpoint, { try ReadSnapshot(path: path, busyTimeout: busyTimeout) })
    }

    fileprivate static func open(_ path: String, busyTimeout: Duration) throws -> OpaquePointer {
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let db else {
            let error = failure(db, code, path: path, doing: "open")
            if let db { sqlite3_close_v2(db) }
            throw error
        }
        _ = pds_sqlite_disable_checkpoint_on_close(db)
        sqlite3_busy_timeout(db, Int32(busyTimeout.components.seconds * 1000))
        return db
    }

    fileprivate static func execute(_ db: OpaquePointer, _ sql: String, path: String) throws {
        let code = sqlite3_exec(db, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw failure(db, code, path: path, doing: sql) }
    }

    private static func failure(_ db: OpaquePointer?, _ code: Int32, path: String, doing: String) -> BackupError {
        let message = db.flatMap { sqlite3_errmsg($0).map { String(cString: $0) } } ?? "SQLite error \(code)"
        return BackupError.snapshotFailed(path: path, cause: "\(doing): \(message) (\(code))")
    }
}
