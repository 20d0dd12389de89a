import ATCore
import Foundation
import Logging
import Synchronization

/// When a database's WAL is checkpointed and a new generation started (`PDS_BACKUP_CHECKPOINT_SIZE`,
/// `PDS_BACKUP_CHECKPOINT_INTERVAL`, `PDS_BACKUP_GENERATION_INTERVAL`).
package struct WALShippingPolicy: Sendable {
    /// Checkpoint once the WAL is this large (bytes).
    package var checkpointBytes: Int
    /// Checkpoint a WAL holding frames once its last checkpoint is this old.
    package var checkpointInterval: Duration
    /// Start a new generation (a fresh copy) at the first change after the generation is this old.
    package var generationInterval: Duration
    /// Start a new generation after this many segments (bounds the objects a restore reads).
    package var maximumSegments: Int

    /// A policy; the defaults are 4 MiB, 1 minute, 24 hours and 2,000 segments.
    package init(
        checkpointBytes: Int = 4 << 20, checkpointInterval: Duration = .seconds(60),
        generationInterval: Duration = .seconds(86_400), maximumSegments: Int = 2000
    ) {
        self.checkpointBytes = checkpointBytes
        self.checkpointInterval = checkpointInterval
        self.generationInterval = generationInterval
        self.maximumSegments = maximumSegments
    }
}

/// Where shipping of one database stands: its generation, the next segment's index, and the WAL position shipped up
/// to.
struct WALCursor: Sendable {
    /// The generation (when its copy was taken).
    var generation: Int64
    /// The next segment's index.
    var nextIndex: Int
    /// The end of the last shipped frame, `nil` when the WAL had no valid header at the last look.
    var position: WALPosition?
    /// A checkpoint backfilled every frame: the next writer may restart the WAL (salt1 + 1).
    var mayRestart: Bool
    /// The WAL's size at the last look.
    var walBytes: Int
    /// When the WAL was last checkpointed (or the generation started), milliseconds since 1970.
    var lastCheckpoint: Int64
    /// Frames were shipped since the last checkpoint that backfilled every frame (an idle, checkpointed file is not
    /// visited again).
    var needsCheckpoint: Bool
}

/// The committed frames read from a WAL after a cursor.
struct WALTail: Sendable {
    /// The frames, `nil` when there are none.
    var segment: WALSegment?
    /// The position after them.
    var position: WALPosition?
    /// The WAL's size.
    var walBytes: Int
    /// The WAL restarted in a way that lost frames (checkpointed by someone else): start a new generation.
    var broken: Bool
}

extension BackupShipper {
    /// Ships a database by its WAL: the committed frames since the last shipped frame as the generation's next
    /// segment, after a new generation's copy when there is none yet (or it is due); then checkpoints when due.
    /// Returns the bytes shipped.
    func shipDatabase(_ file: String, path: URL, force: Bool) async throws -> Int {
        let now = Self.nowMilliseconds()
        guard let cursor = cursors.withLock({ $0[file] }) else {
            // No generation in this process yet: one when the file changed since its newest object.
            if !force, let newest = catalog.withLock({ $0.newest(file) }) {
                let modified = try await BlockingPool.shared.run { Self.modificationTime(path, database: true) }
                guard let modified, modified + Self.mtimeSlack >= newest.time else { return 0 }
            }
            return try await startGeneration(file, path: path, requireWAL: force)
        }
        let policy = walPolicy
        if now - cursor.generation >= policy.generationInterval.wholeMilliseconds || cursor.nextIndex > policy.maximumSegments {
            return try await startGeneration(file, path: path)
        }
        let tail = try await BlockingPool.shared.run { try Self.readTail(path.path + "-wal", after: cursor) }
        guard FileManager.default.fileExists(atPath: path.path) else {
            cursors.withLock { $0[file] = nil }
            return 0
        }
        if tail.broken {
            logger.info(
                "The WAL was checkpointed outside the backup: starting a new generation", metadata: ["backup.file": "\(file)"])
            return try await startGeneration(file, path: path)
        }
        var bytes = try await shipSegment(file, tail: tail, cursor: cursor)
        let updated = cursors.withLock { $0[file] } ?? cursor
        let due =
            updated.needsCheckpoint
            && (updated.walBytes >= policy.checkpointBytes
                || now - updated.lastCheckpoint >= policy.checkpointInterval.wholeMilliseconds)
        if due { bytes += try await checkpoint(file, path: path) }
        return bytes
    }

    /// Checkpoints the databases whose WAL holds frames and whose last checkpoint is older than the policy's interval
    /// (files that stopped changing: no change notification brings them back); returns the bytes shipped.
    @discardableResult
    package func checkpointIdle() async throws -> Int {
        let now = Self.nowMilliseconds()
        let interval = walPolicy.checkpointInterval.wholeMilliseconds
        let due = cursors.withLock { cursors in
            cursors.filter { $0.value.needsCheckpoint && now - $0.value.lastCheckpoint >= interval }.map(\.key)
        }
        var bytes = 0
        for file in due.sorted() {
            guard let path = layout.path(of: file) else { continue }
            bytes += try await checkpoint(file, path: path)
        }
        return bytes
    }

    /// Ships the frames of `tail` as the next segment and advances the cursor.
    private func shipSegment(_ file: String, tail: WALTail, cursor: WALCursor) async throws -> Int {
        var next = cursor
        next.walBytes = tail.walBytes
        next.position = tail.position
        guard let segment = tail.segment else {
            cursors.withLock { $0[file] = next }
            return 0
        }
        let time = Self.nowMilliseconds()
        let (key, generation, index) = (key, cursor.generation, cursor.nextIndex)
        let sealed = try await BlockingPool.shared.run {
            try SealedObject.seal(segment.encoded(), file: file, generation: generation, index: index, key: key)
        }
        do {
            let bytes = try await put(
                BackupVersion(file: file, generation: generation, index: index, time: time, size: sealed.count), sealed)
            next.nextIndex += 1
            next.needsCheckpoint = true
            if segment.start.offset == 0 { next.mayRestart = false }
            cursors.withLock { $0[file] = next }
            return bytes
        } catch {
            // The frames stay in the WAL (no checkpoint without shipping first): the next round ships them again.
            throw error
        }
    }

    /// Under the database's write lock: reads the frames not yet shipped, runs a passive checkpoint, and ships the
    /// frames; returns the bytes shipped.
    private func checkpoint(_ file: String, path: URL) async throws -> Int {
        guard let cursor = cursors.withLock({ $0[file] }) else { return 0 }
        let result: (WALTail, SQLiteWriterLock.Checkpoint)? = try await BlockingPool.shared.run {
            try SQLiteWriterLock.withLock(path: path.path) { checkpoint, _ in
                let tail = try Self.readTail(path.path + "-wal", after: cursor)
                return (tail, tail.broken ? SQLiteWriterLock.Checkpoint(frames: 0, backfilled: -1) : try checkpoint())
            }
        }
        guard let result else {
            cursors.withLock { $0[file] = nil }
            return 0
        }
        let (tail, done) = result
        if tail.broken { return try await startGeneration(file, path: path) }
        let bytes: Int
        do {
            bytes = try await shipSegment(file, tail: tail, cursor: cursor)
        } catch {
            // The frames were checkpointed and may leave the WAL at the next write: only a new copy is safe.
            cursors.withLock { $0[file] = nil }
            throw error
        }
        cursors.withLock { cursors in
            cursors[file]?.lastCheckpoint = Self.nowMilliseconds()
            if done.complete {
                cursors[file]?.mayRestart = true
                cursors[file]?.needsCheckpoint = false
            }
        }
        return bytes
    }

    /// Starts a new generation: under the write lock, a passive checkpoint, a copy of the main file and the WAL's
    /// committed frames the checkpoint could not backfill (segment 1); then ships both. Returns the bytes shipped.
    /// - Parameters:
    ///   - requireWAL: refuse when the `-wal` file is missing (a commit was just reported, so the server's WAL exists
    ///     unless it was deleted under it: a copy of the main file alone would miss its transactions).
    func startGeneration(_ file: String, path: URL, requireWAL: Bool = true) async throws -> Int {
        cursors.withLock { $0[file] = nil }
        if requireWAL, FileManager.default.fileExists(atPath: path.path),
            !FileManager.default.fileExists(atPath: path.path + "-wal")
        {
            throw BackupError.snapshotFailed(path: path.path, cause: "its -wal file is missing (deleted under the server?)")
        }
        let taken: (copy: [UInt8], tail: WALTail, generation: Int64)? = try await BlockingPool.shared.run {
            let locked = try SQLiteWriterLock.withLock(path: path.path) { checkpoint, snapshot in
                let generation = Self.nowMilliseconds()
                let done = try checkpoint()
                let start = WALCursor(
                    generation: generation, nextIndex: 1, position: nil, mayRestart: false, walBytes: 0,
                    lastCheckpoint: generation, needsCheckpoint: false)
                var tail = try Self.readTail(path.path + "-wal", after: start)
                if done.complete, tail.segment != nil {
                    // Every frame is in the main file: ship none, continue after them.
                    tail.segment = nil
                }
                // The main file is read after the lock is released (writers wait no longer than the checkpoint),
                // under a read snapshot of this state: no frame committed later reaches it meanwhile.
                return (tail, generation, try snapshot())
            }
            guard let locked else { return nil }
            let (tail, generation, snapshot) = locked
            defer { snapshot.close() }
            guard let copy = Self.read(path) else { throw BackupError.snapshotFailed(path: path.path, cause: "vanished") }
            return (copy, tail, generation)
        }
        guard let taken else { return 0 }
        let (key, generation) = (key, taken.generation)
        let sealed = try await BlockingPool.shared.run {
            try SealedObject.seal(taken.copy, file: file, generation: generation, key: key)
        }
        var bytes = try await put(BackupVersion(file: file, generation: generation, size: sealed.count), sealed)
        let cursor = WALCursor(
            generation: generation, nextIndex: 1, position: nil, mayRestart: taken.tail.segment == nil,
            walBytes: taken.tail.walBytes, lastCheckpoint: generation, needsCheckpoint: false)
        if taken.tail.segment != nil {
            bytes += try await shipSegment(file, tail: taken.tail, cursor: cursor)
        } else {
            var next = cursor
            next.position = taken.tail.position
            cursors.withLock { $0[file] = next }
        }
        return bytes
    }

    /// Reads the committed frames of the WAL at `walPath` after `cursor`.
    static func readTail(_ walPath: String, after cursor: WALCursor) throws -> WALTail {
        let headerBytes = try WALReader.read(walPath, from: 0, count: WALReader.headerSize)
        var info = stat()
        let size = stat(walPath, &info) == 0 ? Int(info.st_size) : 0
        guard let header = WALReader.header(headerBytes[...]) else {
            // Absent, empty or being created. The server never truncates or deletes a WAL while backups are on, so
            // one that vanished was deleted under it (the disk is being lost): ship nothing, and start no new
            // generation from a main file whose WAL is gone. A WAL that reappears with other salts starts one.
            return WALTail(segment: nil, position: cursor.position, walBytes: size, broken: false)
        }
        if let position = cursor.position, position.salt1 == header.salt1, position.salt2 == header.salt2 {
            guard size >= position.offset else { return WALTail(segment: nil, position: nil, walBytes: size, broken: true) }
            let bytes = try WALReader.read(walPath, from: position.offset)
            let (length, end) = WALReader.committedFrames(bytes[...], after: position)
            let segment = length > 0 ? WALSegment(start: position, bytes: Array(bytes.prefix(length))) : nil
            return WALTail(segment: segment, position: end, walBytes: size, broken: false)
        }
        if let position = cursor.position, !(cursor.mayRestart && header.salt1 == position.salt1 &+ 1) {
            return WALTail(segment: nil, position: nil, walBytes: size, broken: true)
        }
        // A new incarnation: ship it from its header.
        let bytes = try WALReader.read(walPath, from: WALReader.headerSize)
        let (length, end) = WALReader.committedFrames(bytes[...], after: header)
        var start = header
        start.offset = 0
        start.checksum = (0, 0)
        let segment = length > 0 ? WALSegment(start: start, bytes: headerBytes + bytes.prefix(length)) : nil
        return WALTail(segment: segment, position: length > 0 ? end : cursor.position, walBytes: size, broken: false)
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
