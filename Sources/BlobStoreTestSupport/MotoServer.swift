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
        // The write end must not leak into children, or the watcher would never see end-of-file.
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "\"$0\" -H 127.0.0.1 -p \"$1\" >\"$2\" 2>&1 & pid=$!; cat >/dev/null; kill -9 $pid 2>/dev/null; wait $pid; rm -f \"$2\"",
            binary, String(port), log,
        ]
        process.standardInput = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // fds[1] stays open for the life of the process; its closing at exit stops the server.
        let endpoint = "http://127.0.0.1:\(port)"
        for _ in 0..<600 {
            if !process.isRunning {
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
