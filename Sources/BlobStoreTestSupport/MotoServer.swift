import BlobStore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestFixtures

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

    private static func start() async throws -> String {
        let binary = try binary()
        let port = try TestProcess.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(getpid())-\(port).log").path
        let script =
            "\"$0\" -H 127.0.0.1 -p \"$1\" >\"$2\" 2>&1 & pid=$!; cat >/dev/null; kill -9 $pid 2>/dev/null; wait $pid; rm -f \"$2\""
        // The returned stdin write end stays open for the life of the process; its closing at exit stops the server.
        let (pid, _) = try TestProcess.spawn(["/bin/sh", "-c", script, binary, String(port), log], log: "/dev/null")
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
