import ATCore
import Foundation

/// Where backup objects go: a flat namespace of names (`v1/…`, `/`-separated) holding sealed bytes.
package protocol BackupTarget: Sendable {
    /// The target, for messages (`/backups/pds`, `s3://bucket/prefix`).
    var description: String { get }
    /// Stores an object (replacing one of the same name), durably once it returns.
    func put(_ name: String, _ bytes: [UInt8]) async throws
    /// Reads an object; throws ``BackupError/missingObject(_:)`` when there is none.
    func get(_ name: String) async throws -> [UInt8]
    /// The names of every object under `prefix`.
    func list(prefix: String) async throws -> [String]
    /// Deletes objects (missing ones are ignored).
    func delete(_ names: [String]) async throws
}

/// A directory target: each object is a file at `<root>/<name>`, written to a temporary file, `fsync`ed and renamed
/// into place; file work runs on the blocking pool.
package struct DirectoryBackupTarget: BackupTarget {
    /// The root directory.
    package let root: URL

    /// A target at `root` (created on the first write).
    package init(root: URL) { self.root = root }

    package var description: String { root.path }

    func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    package func put(_ name: String, _ bytes: [UInt8]) async throws {
        let destination = url(name)
        try await BlockingPool.shared.run {
            let directory = destination.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString)")
            try writeDurably(bytes, to: temporary)
            guard rename(temporary.path, destination.path) == 0 else {
                let code = errno
                unlink(temporary.path)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
        }
    }

    package func get(_ name: String) async throws -> [UInt8] {
        let source = url(name)
        return try await BlockingPool.shared.run {
            guard let data = FileManager.default.contents(atPath: source.path) else {
                throw BackupError.missingObject(name)
            }
            return Array(data)
        }
    }

    package func list(prefix: String) async throws -> [String] {
        let (root, base) = (root, url(prefix))
        return try await BlockingPool.shared.run {
            var names: [String] = []
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: base.path, isDirectory: &isDirectory), isDirectory.boolValue
            else { return [] }
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
            let rootPath = root.standardizedFileURL.path
            let basePath = base.standardizedFileURL.path
            let relativeBase = String(basePath.dropFirst(rootPath.count)).drop { $0 == "/" }
            while let entry = walker.nextObject() as? String {
                if entry.split(separator: "/").last?.hasPrefix(".") == true { continue }
                var entryIsDirectory: ObjCBool = false
                let full = base.appendingPathComponent(entry).path
                guard FileManager.default.fileExists(atPath: full, isDirectory: &entryIsDirectory),
                    !entryIsDirectory.boolValue
                else { continue }
                names.append(relativeBase.isEmpty ? entry : "\(relativeBase)/\(entry)")
            }
            return names
        }
    }

    package func delete(_ names: [String]) async throws {
        let urls = names.map(url)
        try await BlockingPool.shared.run {
            for url in urls { unlink(url.path) }
        }
    }
}

/// Writes `bytes` to a new file and `fsync`s it (unless `sync` is false: more writes follow, then an `fsync`).
func writeDurably(_ bytes: [UInt8], to url: URL, mode: mode_t = 0o600, sync: Bool = true) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
        if n < 0 {
            if errno == EINTR { continue }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        written += n
    }
    guard !sync || fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}
