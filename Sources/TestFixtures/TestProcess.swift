import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Helper processes for tests (servers from PyPI), tied to a pipe on their standard input: closing it, or this
/// process exiting, tells them to stop.
package enum TestProcess {
    /// A process could not be started.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// The repository root, from this file's path (`Sources/TestFixtures/…`).
    package static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The repository's `.venv` Python (`./scripts/setup.sh --test` makes it).
    package static func python() throws -> String {
        let path = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "\(path) not found: run ./scripts/setup.sh --test")
        }
        return path
    }

    /// A loopback TCP port nothing listens on now.
    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts `arguments` with a pipe as its standard input and `log` as its output, by `posix_spawn` (Foundation's
    /// `Process.run()` can crash on Linux, swift-corelibs-foundation PR 5472).
    /// - Returns: the process id and the pipe's write end, which the caller closes to stop it.
    package static func spawn(_ arguments: [String], log: String) throws -> (pid: pid_t, stdin: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe() failed") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        close(fds[0])
        guard result == 0 else {
            close(fds[1])
            throw Failure(description: "posix_spawn failed: errno \(result)")
        }
        return (pid, fds[1])
    }

    /// Whether the process has exited (reaping it if so).
    package static func hasExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }
}
