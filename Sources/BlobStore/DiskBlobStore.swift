import ATCore
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``BlobStore`` on the local file system, in the reference PDS's layout:
/// `<tmp>/<did>/<key>`, `<location>/<did>/<cid>` and `<quarantine>/<did>/<cid>`.
///
/// Files are written under a hidden name (`.<name>.<random>.part`) and renamed into place, so readers never see a
/// partial blob; permanent blobs are `fsync`ed (file and directory) before the call returns. Paths are built only from
/// a validated ``DID``, a ``CID`` and a ``BlobTempKey``.
package struct DiskBlobStore: BlobStore {
    /// Where the three areas live.
    package struct Locations: Sendable, Equatable {
        /// Permanent blobs (`PDS_BLOBSTORE_DISK_LOCATION`).
        package var location: URL
        /// Temporary uploads (`PDS_BLOBSTORE_DISK_TMP_LOCATION`, default `<location>/tempt`).
        package var tempLocation: URL
        /// Quarantined blobs (`<location>/quarantine`).
        package var quarantineLocation: URL

        /// The locations; defaults as in the reference.
        /// - Parameters:
        ///   - location: the permanent blob root.
        ///   - tempLocation: the temporary upload root, default `<location>/tempt` (sic).
        ///   - quarantineLocation: the quarantine root, default `<location>/quarantine`.
        package init(location: URL, tempLocation: URL? = nil, quarantineLocation: URL? = nil) {
            self.location = location
            self.tempLocation = tempLocation ?? location.appendingPathComponent("tempt", isDirectory: true)
            self.quarantineLocation =
                quarantineLocation ?? location.appendingPathComponent("quarantine", isDirectory: true)
        }
    }

    /// The actor.
    package let did: DID
    /// The roots.
    package let locations: Locations

    /// A store for one actor.
    /// - Parameters:
    ///   - did: the actor.
    ///   - locations: the roots.
    package init(did: DID, locations: Locations) {
        precondition(did.isSafePathComponent, "a validated DID is always a safe path component")
        self.did = did
        self.locations = locations
    }

    // MARK: - Paths

    private var tempDirectory: String { locations.tempLocation.appendingPathComponent(did.rawValue).path }
    private var storedDirectory: String { locations.location.appendingPathComponent(did.rawValue).path }
    private var quarantineDirectory: String {
        locations.quarantineLocation.appendingPathComponent(did.rawValue).path
    }

    private func tempPath(_ key: BlobTempKey) -> String { tempDirectory + "/" + key.rawValue }
    private func storedPath(_ cid: CID) throws -> String { storedDirectory + "/" + (try Self.fileName(cid)) }
    private func quarantinePath(_ cid: CID) throws -> String {
        quarantineDirectory + "/" + (try Self.fileName(cid))
    }

    /// A CID's file name: its string form, which is base32 (v1) or base58 (v0), so never contains `/` or a dot.
    private static func fileName(_ cid: CID) throws -> String {
        let name = cid.description
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ".") && $0 != 0 })
        else { throw BlobStoreError.notFound }
        return name
    }

    private static func partName(_ name: String) -> String {
        ".\(name).\(BlobTempKey.random().rawValue.prefix(12)).part"
    }

    // MARK: - Writing

    package func putTemp(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> BlobTempKey {
        let key = BlobTempKey.random()
        let directory = tempDirectory
        let partial = directory + "/" + Self.partName(key.rawValue)
        let descriptor = try await BlockingPool.shared.run {
            try BlobFileSystem.makeDirectory(directory)
            return try BlobFileSystem.create(partial)
        }
        do {
            var pending = ByteBuffer()
            for try await var chunk in chunks {
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= Self.writeBatch {
                    let batch = pending
                    try await BlockingPool.shared.run { try BlobFileSystem.writeAll(descriptor, batch) }
                    pending.clear()
                }
            }
            let batch = pending
            let final = tempPath(key)
            try await BlockingPool.shared.run {
                try BlobFileSystem.writeAll(descriptor, batch)
                _ = close(descriptor)
                guard try BlobFileSystem.renameFile(partial, to: final) else { throw BlobStoreError.io(errno: ENOENT) }
            }
            return key
        } catch {
            try? await BlockingPool.shared.run {
                _ = close(descriptor)
                try BlobFileSystem.remove(partial)
            }
            throw error
        }
    }

    /// Bytes gathered before each `write`, to avoid a thread hop per network chunk.
    private static let writeBatch = 256 * 1024

    package func makePermanent(tempKey: BlobTempKey, cid: CID) async throws {
        try await move(from: tempPath(tempKey), to: try storedPath(cid), directory: storedDirectory, syncFile: true)
    }

    /// Moves `source` to `destination` on another file system: copy to a hidden file, sync, rename, unlink.
    private static func copyAcrossFileSystems(_ source: String, to destination: String, in directory: String)
        throws -> Bool
    {
        let partial = directory + "/" + partName(URL(fileURLWithPath: destination).lastPathComponent)
        let descriptor = try BlobFileSystem.create(partial)
        do {
            let copied = try BlobFileSystem.copy(source, into: descriptor)
            _ = close(descriptor)
            guard copied else {
                try BlobFileSystem.remove(partial)
                return false
            }
            _ = try BlobFileSystem.renameFile(partial, to: destination)
            try BlobFileSystem.remove(source)
            return true
        } catch {
            _ = close(descriptor)
            try? BlobFileSystem.remove(partial)
            throw error
        }
    }

    private static func syncFile(_ path: String) throws {
        guard let descriptor = try BlobFileSystem.openForReading(path) else { throw BlobStoreError.notFound }
        defer { _ = close(descriptor) }
        try BlobFileSystem.sync(descriptor)
    }

    package func putPermanent(cid: CID, bytes: ByteBuffer) async throws {
        let destination = try storedPath(cid)
        let directory = storedDirectory
        let partial = directory + "/" + Self.partName(try Self.fileName(cid))
        try await BlockingPool.shared.run {
            try BlobFileSystem.makeDirectory(directory)
            let descriptor = try BlobFileSystem.create(partial)
            do {
                try BlobFileSystem.writeAll(descriptor, bytes)
                try BlobFileSystem.sync(descriptor)
                _ = close(descriptor)
                _ = try BlobFileSystem.renameFile(partial, to: destination)
            } catch {
                _ = close(descriptor)
                try? BlobFileSystem.remove(partial)
                throw error
            }
            try BlobFileSystem.syncDirectory(directory)
        }
    }

    // MARK: - Quarantine

    package func quarantine(_ cid: CID) async throws {
        try await move(from: try storedPath(cid), to: try quarantinePath(cid), directory: quarantineDirectory)
    }

    package func unquarantine(_ cid: CID) async throws {
        try await move(from: try quarantinePath(cid), to: try storedPath(cid), directory: storedDirectory)
    }

    /// Moves a file (renaming, or copying across file systems); a missing source is fine when the destination
    /// already exists. Syncs the directory, and the file itself when `syncFile` (a blob becoming permanent).
    private func move(from source: String, to destination: String, directory: String, syncFile: Bool = false)
        async throws
    {
        try await BlockingPool.shared.run {
            try BlobFileSystem.makeDirectory(directory)
            let moved: Bool
            do {
                moved = try BlobFileSystem.renameFile(source, to: destination)
            } catch BlobStoreError.io(errno: EXDEV) {
                moved = try Self.copyAcrossFileSystems(source, to: destination, in: directory)
            }
            if !moved {
                guard try BlobFileSystem.exists(destination) else { throw BlobStoreError.notFound }
                return
            }
            if syncFile { try Self.syncFile(destination) }
            try BlobFileSystem.syncDirectory(directory)
        }
    }

    // MARK: - Reading

    package func get(_ cid: CID, range: BlobByteRange?) async throws -> BlobContent {
        let path = try storedPath(cid)
        let (file, size) = try await BlockingPool.shared.run { () throws -> (BlobFile, Int) in
            guard let descriptor = try BlobFileSystem.openForReading(path) else { throw BlobStoreError.notFound }
            let file = BlobFile(descriptor: descriptor)
            return (file, try BlobFileSystem.size(descriptor))
        }
        guard let range else {
            return BlobContent(size: size, range: nil, body: BlobByteStream(.file(file, range: 0..<size)))
        }
        let selected = try range.resolve(size: size)
        return BlobContent(
            size: size,
            range: selected == 0...(size - 1) ? nil : selected,
            body: BlobByteStream(.file(file, range: selected.lowerBound..<(selected.upperBound + 1)))
        )
    }

    package func hasTemp(_ key: BlobTempKey) async throws -> Bool {
        let path = tempPath(key)
        return try await BlockingPool.shared.run { try BlobFileSystem.exists(path) }
    }

    package func hasStored(_ cid: CID) async throws -> Bool {
        let path = try storedPath(cid)
        return try await BlockingPool.shared.run { try BlobFileSystem.exists(path) }
    }

    // MARK: - Deleting

    package func delete(_ cid: CID) async throws {
        try await deleteMany([cid])
    }

    package func deleteMany(_ cids: [CID]) async throws {
        let paths = try cids.map { try storedPath($0) }
        try await BlockingPool.shared.run {
            for path in paths { try BlobFileSystem.remove(path) }
        }
    }

    package func deleteAll() async throws {
        let directories = [storedDirectory, tempDirectory, quarantineDirectory]
        try await BlockingPool.shared.run {
            for directory in directories { try BlobFileSystem.removeTree(directory) }
        }
    }

    package func listTemp(olderThan date: Date) async throws -> [BlobTempKey] {
        let directory = tempDirectory
        return try await BlockingPool.shared.run {
            try BlobFileSystem.list(directory).compactMap { name -> BlobTempKey? in
                guard let key = try? BlobTempKey(name),
                    let modified = try BlobFileSystem.modificationDate(directory + "/" + name),
                    modified < date
                else { return nil }
                return key
            }
            .sorted { $0.rawValue < $1.rawValue }
        }
    }

    package func deleteTemp(_ key: BlobTempKey) async throws {
        let path = tempPath(key)
        try await BlockingPool.shared.run { try BlobFileSystem.remove(path) }
    }
}
