import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
let posixWrite = Glibc.write
let posixClose = Glibc.close
#elseif canImport(Musl)
let posixWrite = Musl.write
let posixClose = Musl.close
#elseif canImport(Darwin)
let posixWrite = Darwin.write
let posixClose = Darwin.close
#endif

/// Small files beside an actor's store (`key`, `did-op`, reserved keys), written atomically with owner-only access.
enum KeyFile {
    /// Errors from the file system, with the failing call and `errno`.
    struct SystemError: Error, Equatable {
        let call: String
        let code: Int32
    }

    /// Writes `bytes` to `url` atomically: a temporary file opened `0600` in the same directory, `fsync`, `rename`,
    /// then `fsync` of the directory, so a crash leaves either the old file or the new one.
    /// - Parameters:
    ///   - bytes: the content.
    ///   - url: the destination.
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-" + UUID().uuidString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(call: "open", code: errno) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + written, bytes.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SystemError(call: "write", code: errno)
                }
                written += n
            }
            guard fsync(fd) == 0 else { throw SystemError(call: "fsync", code: errno) }
        }
        guard rename(temporary, url.path) == 0 else { throw SystemError(call: "rename", code: errno) }
        ok = true
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// The content of `url`, or `nil` when it does not exist.
    /// - Parameters:
    ///   - url: the file.
    static func read(_ url: URL) throws -> [UInt8]? {
        do {
            return Array(try Data(contentsOf: url))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        }
    }

    /// Removes `url` if it exists.
    /// - Parameters:
    ///   - url: the file.
    static func remove(_ url: URL) throws {
        guard unlink(url.path) == 0 || errno == ENOENT else { throw SystemError(call: "unlink", code: errno) }
    }
}
