import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock on a data directory (`<data>/pds.lock`, `flock`): `pds serve` holds it while it runs,
/// and the offline commands (`pds repo …`, `pds hostname change`, …) take it so they never write under a running
/// server. The kernel releases it when the process exits, even on `kill -9`.
package final class DataDirectoryLock: Sendable {
    /// Why the lock could not be taken.
    package enum Failure: Error, CustomStringConvertible {
        /// Another process holds it; its pid when the lock file names one.
        case held(directory: String, pid: Int32?)
        /// The lock file could not be opened.
        case unavailable(path: String, errno: Int32)

        package var description: String {
            switch self {
            case .held(let directory, let pid):
                let owner = pid.map { " (pid \($0))" } ?? ""
                return "a pds server is running on \(directory)\(owner): stop it first"
            case .unavailable(let path, let code):
                return "cannot open \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    private let descriptor: Int32

    /// Takes the lock of `directory` (created if missing) without waiting, and records this process's pid in it.
    /// - Throws: ``Failure/held(directory:pid:)`` when another process holds it.
    package init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: directory).appendingPathComponent("pds.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure.unavailable(path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let text = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
            throw Failure.held(directory: directory, pid: Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
