import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The blocking POSIX calls behind ``DiskBlobStore``. Every function here blocks; callers run them on the shared
/// ``BlockingPool``. Paths come only from ``DiskBlobStore``'s path builders, never from request strings.
enum BlobFileSystem {
    /// Creates a directory and its parents.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BlobStoreError.io(errno: errno == 0 ? EIO : errno)
        }
    }

    /// Opens a new file for writing; it must not exist.
    static func create(_ path: String) throws -> Int32 {
        try retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
    }

    /// Opens a file for reading; `nil` if it does not exist.
    static func openForReading(_ path: String) throws -> Int32? {
        do {
            return try retrying { open(path, O_RDONLY | O_CLOEXEC) }
        } catch BlobStoreError.io(errno: ENOENT) {
            return nil
        }
    }

    /// Writes all of `buffer`.
    static func writeAll(_ descriptor: Int32, _ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BlobStoreError.io(errno: errno)
                }
                offset += n
            }
        }
    }

    /// Flushes a file's data to stable storage.
    static func sync(_ descriptor: Int32) throws {
        guard fsync(descriptor) == 0 else { throw BlobStoreError.io(errno: errno) }
    }

    /// Flushes a directory entry change (a rename or create) to stable storage.
    static func syncDirectory(_ path: String) throws {
        let descriptor = try retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = close(descriptor) }
        try sync(descriptor)
    }

    /// The size of an open file.
    static func size(_ descriptor: Int32) throws -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw BlobStoreError.io(errno: errno) }
        return Int(info.st_size)
    }

    /// The modification time of a file; `nil` if it does not exist.
    static func modificationDate(_ path: String) throws -> Date? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw BlobStoreError.io(errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Date(
            timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9
        )
    }

    /// Whether a regular file exists.
    static func exists(_ path: String) throws -> Bool { try modificationDate(path) != nil }

    /// Renames a file. Returns `false` if the source does not exist; throws `io(EXDEV)` across file systems.
    static func renameFile(_ source: String, to destination: String) throws -> Bool {
        if rename(source, destination) == 0 { return true }
        if errno == ENOENT { return false }
        throw BlobStoreError.io(errno: errno)
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) throws {
        if unlink(path) == 0 || errno == ENOENT { return }
        throw BlobStoreError.io(errno: errno)
    }

    /// Removes a directory tree; a missing one is not an error.
    static func removeTree(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw BlobStoreError.io(errno: EIO)
        }
    }

    /// The names in a directory; empty if it does not exist.
    static func list(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return [] }
            throw BlobStoreError.io(errno: errno)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Copies a file's content into an open descriptor (for moves across file systems).
    static func copy(_ source: String, into descriptor: Int32) throws -> Bool {
        guard let input = try openForReading(source) else { return false }
        defer { _ = close(input) }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 << 20)
        while true {
            buffer.clear()
            let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 20) { pointer in
                try retryingCount { read(input, pointer.baseAddress, pointer.count) }
            }
            if n == 0 { return true }
            try writeAll(descriptor, buffer)
        }
    }

    private static func retrying(_ call: () -> Int32) throws -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return result }
            if errno != EINTR { throw BlobStoreError.io(errno: errno) }
        }
    }

    private static func retryingCount(_ call: () -> Int) throws -> Int {
        while true {
            let result = call()
            if result >= 0 { return result }
            if errno != EINTR { throw BlobStoreError.io(errno: errno) }
        }
    }
}
