import ATCore
import Foundation
import GRDB

/// What a restore leaves for the next `pds serve` (`<data>/backup-restore.json`): the seq the sequencer must continue
/// above, and the accounts whose repos may have gone back in time (every account when `dids` is `nil`), each of
/// which gets a `#sync` of its restored root before the server accepts requests.
package struct BackupRestoreMarker: Codable, Sendable, Equatable {
    /// The file name in the data directory.
    package static let fileName = "backup-restore.json"
    /// The sequencer continues above this seq.
    package var seqAtLeast: Int64
    /// The restored accounts, `nil` for all.
    package var dids: [String]?

    /// Reads the marker of `dataDirectory`, if any.
    package static func read(in dataDirectory: URL) throws -> BackupRestoreMarker? {
        let url = dataDirectory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try JSONDecoder().decode(BackupRestoreMarker.self, from: data)
    }

    /// Removes the marker of `dataDirectory` once applied.
    package static func remove(in dataDirectory: URL) throws {
        let url = dataDirectory.appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
    }
}

/// Restores a data directory, or one account into an existing one, from a backup target at a point in time.
///
/// Nothing is written before the key is checked against the target's key check object. Every file is downloaded,
/// authenticated, decrypted and written beside its destination under a temporary name first; only when all of them
/// are there are they renamed into place (a database's stale `-wal`/`-shm` removed first), so a wrong key, a missing
/// or corrupted object or an unreachable target leaves the destination as it was. A whole restore takes the accounts
/// listed in the restored `account.sqlite`: actor files of accounts deleted by then are left out. The sequencer's
/// counter is raised above the backup's high-water mark plus `seqGap` (seqs relays may have seen after the last mark
/// shipped), and ``BackupRestoreMarker`` is written for the next start.
package struct BackupRestorer: Sendable {
    /// A file written beside its destination, not yet renamed into place.
    typealias Staged = (version: BackupVersion, temporary: URL, destination: URL, size: Int)

    /// The source.
    package let target: any BackupTarget
    /// The key.
    package let key: BackupKey

    /// A restorer.
    package init(target: any BackupTarget, key: BackupKey) {
        self.target = target
        self.key = key
    }

    /// What a restore did.
    package struct Summary: Sendable, Encodable {
        /// The point in time restored (ISO 8601), or `latest`.
        package var at: String
        /// Files written.
        package var files: Int
        /// Their plaintext bytes.
        package var bytes: Int
        /// Accounts restored.
        package var accounts: Int
        /// The backup's high-water mark, when it has one.
        package var highWaterMark: Int64?
        /// The seq the sequencer continues above.
        package var seqAtLeast: Int64?
        /// The seconds taken.
        package var seconds: Double
    }

    /// Restores into `layout`.
    /// - Parameters:
    ///   - layout: the destination data directory.
    ///   - time: the point in time (milliseconds since 1970), `nil` for the newest.
    ///   - did: one account to restore into an existing data directory, or `nil` for a whole data directory (the
    ///     destination must then hold no `account.sqlite`).
    ///   - seqGap: added to the high-water mark.
    ///   - progress: called with files done and their total.
    package func restore(
        into layout: BackupLayout, at time: Int64?, did: DID?, seqGap: Int64 = 10_000,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Summary {
        let started = Date()
        try await BackupShipper.checkKey(target: target, key: key, createIfMissing: false)
        let catalog: BackupCatalog
        do {
            catalog = BackupCatalog(objectNames: try await target.list(prefix: BackupVersion.root))
        } catch {
            throw BackupError.targetUnavailable(target: target.description, cause: "\(error)")
        }
        let at = time ?? Int64.max
        if did == nil, let account = layout.serviceFiles["account.sqlite"],
            FileManager.default.fileExists(atPath: account.path)
        {
            throw BackupError.destinationNotEmpty(layout.dataDirectory.path)
        }
        // Per file, the objects that rebuild it at `at`: a copy, then for a database its WAL segments.
        var chosen: [[BackupVersion]] = []
        for file in catalog.versions.keys.sorted() where file != BackupFile.highWaterMark {
            guard layout.path(of: file) != nil else { continue }
            if let did {
                guard BackupFile.owner(of: file) == did else { continue }
            }
            let chain = try catalog.chain(of: file, at: at)
            if !chain.isEmpty { chosen.append(chain) }
        }
        if let did, chosen.isEmpty { throw BackupError.unknownAccount(did.rawValue) }
        var staged: [Staged] = []
        do {
            var accounts: Set<DID>?
            if did == nil, let account = chosen.first(where: { $0[0].file == "account.sqlite" }) {
                let entry = try await stage(account, layout: layout)
                staged.append(entry)
                accounts = try Self.accountDIDs(in: entry.temporary)
                chosen.removeAll { $0[0].file == "account.sqlite" }
            }
            if let accounts {
                chosen.removeAll { chain in BackupFile.owner(of: chain[0].file).map { !accounts.contains($0) } ?? false }
            }
            let total = chosen.count + staged.count
            progress(staged.count, total)
            try await withThrowingTaskGroup(of: Staged.self) { group in
                var running = 0
                for chain in chosen {
                    if running >= 8, let entry = try await group.next() {
                        running -= 1
                        staged.append(entry)
                        progress(staged.count, total)
                    }
                    running += 1
                    group.addTask { try await self.stage(chain, layout: layout) }
                }
                for try await entry in group {
                    staged.append(entry)
                    progress(staged.count, total)
                }
            }
        } catch {
            for entry in staged { try? FileManager.default.removeItem(at: entry.temporary) }
            throw error
        }
        var bytes = 0
        for entry in staged {
            if BackupFile.isDatabase(entry.version.file) {
                unlink(entry.destination.path + "-wal")
                unlink(entry.destination.path + "-shm")
            }
            bytes += entry.size
            guard rename(entry.temporary.path, entry.destination.path) == 0 else {
                throw BackupError.snapshotFailed(
                    path: entry.destination.path, cause: String(cString: strerror(errno)))
            }
        }
        let highWaterMark = try await highWaterMark(catalog)
        var seqAtLeast: Int64?
        if let highWaterMark {
            seqAtLeast = highWaterMark + seqGap
            if let sequencer = layout.serviceFiles["sequencer.sqlite"],
                FileManager.default.fileExists(atPath: sequencer.path)
            {
                try Self.raiseSequence(sequencer, to: highWaterMark + seqGap)
            }
        }
        let restoredDIDs = Set(staged.compactMap { BackupFile.owner(of: $0.version.file) })
        try writeMarker(layout: layout, seqAtLeast: seqAtLeast ?? 0, dids: did.map { [$0.rawValue] })
        return Summary(
            at: time.map { Date(timeIntervalSince1970: Double($0) / 1000).ISO8601Format() } ?? "latest",
            files: staged.count, bytes: bytes, accounts: restoredDIDs.count, highWaterMark: highWaterMark,
            seqAtLeast: seqAtLeast, seconds: Date().timeIntervalSince(started))
    }

    /// Downloads, opens and writes one file beside its destination: its generation's copy, then for a database each
    /// WAL segment applied in order (``WALSegment/apply(to:after:object:)``, checksums verified).
    private func stage(_ chain: [BackupVersion], layout: BackupLayout) async throws -> Staged {
        let version = chain[0]
        guard let destination = layout.path(of: version.file) else { throw BackupError.missingObject(version.objectName) }
        let payload = try await fetch(version)
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(
            ".\(destination.lastPathComponent).restore-\(UUID().uuidString.prefix(8))")
        let secret = version.file.hasSuffix("/key") || version.file == "dev-secrets.json"
        try await BlockingPool.shared.run {
            try FileManager.default.createDirectory(
                at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try writeDurably(payload, to: temporary, mode: secret ? 0o600 : 0o644, sync: chain.count == 1)
        }
        guard chain.count > 1 else { return (version, temporary, destination, payload.count) }
        do {
            let fd = open(temporary.path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(fd) }
            var position: WALPosition?
            for object in chain.dropFirst() {
                let segment = try WALSegment(decoding: try await fetch(object), object: object.objectName)
                let previous = position
                position = try await BlockingPool.shared.run {
                    try segment.apply(to: fd, after: previous, object: object.objectName)
                }
            }
            let size = try await BlockingPool.shared.run {
                guard fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                var info = stat()
                guard fstat(fd, &info) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                return Int(info.st_size)
            }
            return (version, temporary, destination, size)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Downloads and opens one object.
    private func fetch(_ version: BackupVersion) async throws -> [UInt8] {
        let sealed: [UInt8]
        do {
            sealed = try await target.get(version.objectName)
        } catch let error as BackupError {
            if case .missingObject = error {
                throw BackupError.missingSegment(file: version.file, generation: version.generation, index: version.index)
            }
            throw error
        } catch {
            throw BackupError.targetUnavailable(target: target.description, cause: "\(error)")
        }
        let (key, name) = (key, version.objectName)
        return try await BlockingPool.shared.run {
            try SealedObject.open(
                sealed, object: name, key: key, file: version.file, generation: version.generation, index: version.index
            ).1
        }
    }

    /// The newest high-water mark in the backup (whatever the point in time: relays saw every seq up to it).
    private func highWaterMark(_ catalog: BackupCatalog) async throws -> Int64? {
        guard let newest = catalog.newest(BackupFile.highWaterMark) else { return nil }
        let sealed = try await target.get(newest.objectName)
        let (_, payload) = try SealedObject.open(
            sealed, object: newest.objectName, key: key, file: newest.file, generation: newest.generation)
        guard let seq = Int64(String(decoding: payload, as: UTF8.self)) else {
            throw BackupError.corrupted(object: newest.objectName, reason: "not a seq")
        }
        return seq
    }

    /// The DIDs of the accounts in an `account.sqlite`.
    static func accountDIDs(in url: URL) throws -> Set<DID> {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: url.path, configuration: configuration)
        defer { try? queue.close() }
        let raw = try queue.read { db in try String.fetchAll(db, sql: "SELECT did FROM actor") }
        return Set(raw.compactMap { try? DID($0) })
    }

    /// Raises `sequencer.sqlite`'s `repo_seq` counter to at least `seq`.
    static func raiseSequence(_ url: URL, to seq: Int64) throws {
        let queue = try DatabaseQueue(path: url.path)
        defer { try? queue.close() }
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sqlite_sequence (name, seq) SELECT 'repo_seq', 0 \
                    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'repo_seq')
                    """)
            try db.execute(
                sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'repo_seq' AND seq < ?", arguments: [seq, seq])
        }
    }

    /// Writes (or merges into) the data directory's ``BackupRestoreMarker``.
    private func writeMarker(layout: BackupLayout, seqAtLeast: Int64, dids: [String]?) throws {
        var marker = BackupRestoreMarker(seqAtLeast: seqAtLeast, dids: dids)
        if let existing = try? BackupRestoreMarker.read(in: layout.dataDirectory) {
            marker.seqAtLeast = max(marker.seqAtLeast, existing.seqAtLeast)
            if let mine = dids, let theirs = existing.dids {
                marker.dids = Array(Set(mine + theirs)).sorted()
            } else {
                marker.dids = nil
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try FileManager.default.createDirectory(at: layout.dataDirectory, withIntermediateDirectories: true)
        let url = layout.dataDirectory.appendingPathComponent(BackupRestoreMarker.fileName)
        try writeDurably(Array(try encoder.encode(marker)), to: url, mode: 0o644)
    }
}
