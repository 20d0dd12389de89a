import BlobStore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// One `moto_server` (an S3-compatible server from PyPI) per test process, started on first use on a free loopback
/// port and stopped when the process exits, however it exits: it runs under a `sh` that kills it when its stdin
/// pipe, held open only by this process, reaches end-of-file. It is killed with SIGKILL: moto's SIGTERM handler can
/// leave it hanging while request threads live, and it holds nothing but in-memory state.
package enum MotoServer {
    /// `moto_server` could not be found or started.
    package struct NotAvailable: Error, CustomStringConvertible {
        package var description: String
    }

    /// The endpoint, for example `http://127.0.0.1:41234`.
    package static func endpoint() async throws -> String { try await shared.value }

    private static let shared = Task<String, any Error> { try await start() }

    /// The repository root, from this file's path (`Sources/BlobStoreTestSupport/…`).
    private static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The `moto_server` executable: the repository's `.venv`, else on `PATH`.
    package static func binary() throws -> String {
        let venv = repositoryRoot.appendingPathComponent(".venv/bin/moto_server").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/moto_server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw NotAvailable(
            description: """
                moto_server not found (looked in \(venv) and on PATH). The S3 blobstore tests need it: run \
                `./scripts/setup.sh --test`, which installs moto[server] from Tests/e2e/requirements.txt into .venv.
                """
        )
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NotAvailable(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw NotAvailable(description: "bind() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func start() async throws -> String {
        let binary = try binary()
        let port = try freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(getpid())-\(port).log").path
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw NotAvailable(description: "pipe() failed") }
        // Neither end leaks into other children (the write end must not, or the watcher would never see end-of-file);
        // the spawned shell gets the read end as its stdin by dup2, which clears the flag on the copy.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let script =
            "\"$0\" -H 127.0.0.1 -p \"$1\" >\"$2\" 2>&1 & pid=$!; cat >/dev/null; kill -9 $pid 2>/dev/null; wait $pid; rm -f \"$2\""
        let pid = try spawn(["/bin/sh", "-c", script, binary, String(port), log], stdin: fds[0])
        close(fds[0])
        // fds[1] stays open for the life of the process; its closing at exit stops the server.
        let endpoint = "http://127.0.0.1:\(port)"
        for _ in 0..<600 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw NotAvailable(description: "moto_server exited: \(output.suffix(2000))")
            }
            var request = HTTPClientRequest(url: endpoint + "/moto-api/")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return endpoint
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw NotAvailable(description: "moto_server did not answer on \(endpoint): \(output.suffix(2000))")
    }

    /// Starts `arguments` with `stdin` as its standard input and /dev/null as its output, by `posix_spawn` itself:
    /// Foundation's `Process.run()` can crash on Linux (it over-reads `/proc/self/fd` entries while finding the
    /// highest open descriptor, swift-corelibs-foundation PR 5472).
    private static func spawn(_ arguments: [String], stdin: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard result == 0 else { throw NotAvailable(description: "posix_spawn failed: errno \(result)") }
        return pid
    }

    /// A client for a fresh bucket of its own.
    /// - Parameters:
    ///   - partSize: the multipart part size.
    package static func freshBucket(partSize: Int = S3Client.Configuration.minimumPartSize) async throws -> S3Client {
        let endpoint = try await endpoint()
        let client = try S3Client(
            configuration: S3Client.Configuration(
                bucket: "blob-" + UUID().uuidString.lowercased(),
                region: "us-east-1",
                endpoint: endpoint,
                forcePathStyle: true,
                credentials: .init(accessKeyID: "testing", secretAccessKey: "testing"),
                partSize: partSize
            ),
            httpClient: .shared
        )
        try await client.createBucket()
        return client
    }

    /// The `PDS_BLOBSTORE_S3_*` variables that point a server at a fresh bucket of its own.
    package static func freshBucketEnvironment() async throws -> [String: String] {
        let client = try await freshBucket()
        return [
            "PDS_BLOBSTORE_S3_BUCKET": client.configuration.bucket,
            "PDS_BLOBSTORE_S3_REGION": client.configuration.region,
            "PDS_BLOBSTORE_S3_ENDPOINT": try await endpoint(),
            "PDS_BLOBSTORE_S3_FORCE_PATH_STYLE": "true",
            "PDS_BLOBSTORE_S3_ACCESS_KEY_ID": "testing",
            "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY": "testing",
        ]
    }
}
