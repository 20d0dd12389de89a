import ATCore
import Foundation
import GRDB
import Logging
import Synchronization

/// Copies changed files of a data directory to a target, sealed (``SealedObject``).
///
/// A database is shipped Litestream's way (`BackupShipper+wal.swift`): a generation starts with a copy of the main
/// file taken under the database's write lock after a checkpoint, and continues with WAL segments, the committed
/// frames appended since the last shipped frame, read from the `-wal` file. The WAL is checkpointed only here, under
/// the write lock and after its frames were shipped (the server opens its databases with automatic checkpoints and
/// checkpoint-on-close off when backups are on), so no committed transaction leaves the WAL unshipped. Other files (a
/// signing key, a blob, the high-water mark) are shipped whole, one generation per change. A file without a
/// generation in this process is shipped only when it changed since its newest object: its modification time (and
/// its `-wal`'s) is at or after that object's time. The catalog of what the target holds is read once and kept in
/// memory.
package final class BackupShipper: Sendable {
    /// The target.
    package let target: any BackupTarget
    /// The key.
    package let key: BackupKey
    /// The data directory shipped.
    package let layout: BackupLayout
    let logger: Logger
    let catalog: Mutex<BackupCatalog>
    let counters = Mutex<(objects: Int, bytes: Int)>((0, 0))
    /// Where each database's shipping stands.
    let cursors = Mutex<[String: WALCursor]>([:])
    /// When databases are checkpointed and new generations started.
    package let walPolicy: WALShippingPolicy

    /// What the target holds (a copy).
    package var currentCatalog: BackupCatalog { catalog.withLock { $0 } }
    /// Objects and bytes shipped by this shipper.
    package var shipped: (objects: Int, bytes: Int) { counters.withLock { $0 } }

    /// Opens the target: checks the key against its key check object (writing one into an empty target) and reads
    /// the catalog.
    /// - Throws: ``BackupError/wrongKey(expected:found:)``; ``BackupError/targetUnavailable(target:cause:)``.
    /// - Parameters:
    ///   - walPolicy: when databases are checkpointed and new generations started.
    package init(
        target: any BackupTarget, key: BackupKey, layout: BackupLayout, logger: Logger,
        walPolicy: WALShippingPolicy = WALShippingPolicy()
    ) async throws {
        self.target = target
        self.walPolicy = walPolicy
        self.key = key
        self.layout = layout
        self.logger = logger
        try await Self.checkKey(target: target, key: key, createIfMissing: true)
        let names: [String]
        do {
            names = try await target.list(prefix: BackupVersion.root)
        } catch {
            throw BackupError.targetUnavailable(target: target.description, cause: "\(error)")
        }
        catalog = Mutex(BackupCatalog(objectNames: names))
    }

    /// Checks that `target` was written with `key`.
    /// - Parameters:
    ///   - createIfMissing: write the key check object into a target that has none (else throw `noBackup`).
    package static func checkKey(target: any BackupTarget, key: BackupKey, createIfMissing: Bool) async throws {
        let bytes: [UInt8]
        do {
            bytes = try await target.get(BackupVersion.keyCheck)
        } catch BackupError.missingObject {
            guard createIfMissing else { throw BackupError.noBackup(target: target.description) }
            let sealed = try SealedObject.seal([], file: "keycheck", generation: 0, key: key)
            do {
                try await target.put(BackupVersion.keyCheck, sealed)
            } catch {
                throw BackupError.targetUnavailable(target: target.description, cause: "\(error)")
            }
            return
        } catch {
            throw BackupError.targetUnavailable(target: target.description, cause: "\(error)")
        }
        _ = try SealedObject.open(bytes, object: BackupVersion.keyCheck, key: key, file: "keycheck")
    }

    // MARK: - Shipping

    /// Ships `file` when it changed since its newest version (or has none); returns the bytes shipped (0 when
    /// unchanged or absent). A database ships its new WAL frames (``shipDatabase(_:path:force:)``).
    ///
    /// File modification times come from the kernel's coarse clock (a few milliseconds behind the real time), so a
    /// file counts as unchanged only when modified more than ``mtimeSlack`` before its newest version's generation.
    /// - Parameters:
    ///   - file: the logical file.
    ///   - force: ship it even when it looks unchanged (the actor store reported a commit).
    @discardableResult
    package func ship(_ file: String, force: Bool = false) async throws -> Int {
        guard let path = layout.path(of: file) else { return 0 }
        if BackupFile.isDatabase(file) { return try await shipDatabase(file, path: path, force: force) }
        let newest = catalog.withLock { $0.newest(file) }
        let generation = Self.nowMilliseconds()
        let key = key
        let sealed: [UInt8]? = try await BlockingPool.shared.run {
            guard let modified = Self.modificationTime(path, database: false) else { return nil }
            if !force, let newest, modified + Self.mtimeSlack < newest.time { return nil }
            guard let payload = Self.read(path) else { return nil }
            return try SealedObject.seal(payload, file: file, generation: generation, key: key)
        }
        guard let sealed else { return 0 }
        return try await put(BackupVersion(file: file, generation: generation, size: sealed.count), sealed)
    }

    /// Ships the high-water mark `seq` when above the newest shipped; returns the bytes shipped.
    @discardableResult
    package func shipHighWaterMark(_ seq: Int64) async throws -> Int {
        if highWaterMarks.withLock({ $0 }) < 0, let newest = catalog.withLock({ $0.newest(BackupFile.highWaterMark) }) {
            // The first call: the mark the target already holds.
            let (_, payload) = try SealedObject.open(
                try await target.get(newest.objectName), object: newest.objectName, key: key, file: newest.file,
                generation: newest.generation)
            let shipped = Int64(String(decoding: payload, as: UTF8.self)) ?? -1
            highWaterMarks.withLock { $0 = max($0, shipped) }
        }
        guard seq > highWaterMarks.withLock({ $0 }) else { return 0 }
        let generation = Self.nowMilliseconds()
        let sealed = try SealedObject.seal(
            Array(String(seq).utf8), file: BackupFile.highWaterMark, generation: generation, key: key)
        let bytes = try await put(
            BackupVersion(file: BackupFile.highWaterMark, generation: generation, size: sealed.count), sealed)
        highWaterMarks.withLock { $0 = max($0, seq) }
        return bytes
    }
    /// The highest mark shipped by this shipper (-1 before the first).
    let highWaterMarks = Mutex<Int64>(-1)

    /// How far behind the real time a file's modification time may be (the kernel's coarse clock), in milliseconds.
    static let mtimeSlack: Int64 = 50

    /// Ships an actor's store (always when `changed`, else when it looks changed) and key, and its blobs not yet
    /// shipped; returns the bytes shipped.
    @discardableResult
    package func shipActor(_ did: DID, changed: Bool = false) async throws -> Int {
        var bytes = try await ship(BackupFile.store(did), force: changed)
        bytes += try await ship(BackupFile.key(did))
        let names = layout.blobNames(of: did)
        let unshipped = catalog.withLock { catalog in
            names.filter { catalog.newest(BackupFile.blob(did, $0)) == nil }
        }
        for name in unshipped { bytes += try await ship(BackupFile.blob(did, name)) }
        return bytes
    }

    /// Ships every changed file of the data directory (a scan of the actors directory: the one-shot backup and the
    /// server's first pass), reporting progress per actor.
    /// - Parameters:
    ///   - includeSlow: also the slow service files (``BackupFile/slowFiles``).
    ///   - progress: called with the actors done and their total.
    /// - Returns: the bytes shipped.
    @discardableResult
    package func shipAll(includeSlow: Bool = true, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws
        -> Int
    {
        var bytes = try await shipServiceFiles(includeSlow: includeSlow)
        let actors = layout.actors()
        var done = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            var running = 0
            for did in actors {
                if running >= 8, let shipped = try await group.next() {
                    bytes += shipped
                    running -= 1
                    done += 1
                    progress(done, actors.count)
                }
                running += 1
                group.addTask { try await self.shipActor(did) }
            }
            for try await shipped in group {
                bytes += shipped
                done += 1
                progress(done, actors.count)
            }
        }
        return bytes
    }

    /// Ships the changed service files; the slow ones only when `includeSlow`.
    @discardableResult
    package func shipServiceFiles(includeSlow: Bool) async throws -> Int {
        var bytes = 0
        for file in BackupFile.serviceDatabases + BackupFile.serviceFiles
        where includeSlow || !BackupFile.slowFiles.contains(file) {
            bytes += try await ship(file)
        }
        return bytes
    }

    /// Deletes versions older than `cutoff` (keeping, per file, the newest of those); returns how many.
    @discardableResult
    package func prune(before cutoff: Int64) async throws -> Int {
        let expired = catalog.withLock { $0.expired(before: cutoff) }
        guard !expired.isEmpty else { return 0 }
        try await target.delete(expired.map(\.objectName))
        catalog.withLock { $0.remove(Set(expired)) }
        return expired.count
    }

    /// Stores one object and records it in the catalog; returns its size.
    func put(_ version: BackupVersion, _ sealed: [UInt8]) async throws -> Int {
        do {
            try await target.put(version.objectName, sealed)
        } catch {
            throw BackupError.targetUnavailable(target: target.description, cause: "\(error)")
        }
        catalog.withLock { $0.add(version) }
        counters.withLock {
            $0.objects += 1
            $0.bytes += sealed.count
        }
        return sealed.count
    }

    // MARK: - Files

    /// Now, in milliseconds since 1970.
    package static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The newest modification time of a file (and of its `-wal` for a database), in milliseconds; `nil` when the
    /// file does not exist.
    package static func modificationTime(_ url: URL, database: Bool) -> Int64? {
        func time(_ path: String) -> Int64? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
        }
        guard let main = time(url.path) else { return nil }
        guard database, let wal = time(url.path + "-wal") else { return main }
        return max(main, wal)
    }

    /// A file's bytes; `nil` when it does not exist.
    static func read(_ url: URL) -> [UInt8]? {
        FileManager.default.contents(atPath: url.path).map(Array.init)
    }

    /// The sequencer's highest seq handed out, read from `sequencer.sqlite` (0 when it does not exist).
    package static func readHighWaterMark(of sequencer: URL) throws -> Int64 {
        guard FileManager.default.fileExists(atPath: sequencer.path) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: sequencer.path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            let counter =
                try db.tableExists("sqlite_sequence")
                ? try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'repo_seq'") ?? 0 : 0
            let newest = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM repo_seq") ?? 0
            return max(counter, newest)
        }
    }
}
