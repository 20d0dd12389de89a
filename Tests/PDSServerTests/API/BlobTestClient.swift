import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// Blob requests and on-disk checks shared by the blob tests.
enum BlobTestClient {
    typealias Reply = ComAtprotoRepoTests.Reply

    /// A raw HTTP answer.
    struct Raw {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: [UInt8]
        var error: String? {
            (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
        }
    }

    /// Runs `body` against a fresh server (in a temporary data directory) with one account, `alice.test`.
    /// - Parameters:
    ///   - environment: extra `PDS_*` variables.
    ///   - now: the server's wall clock.
    ///   - body: the test, given the data directory, the services, a client and the account.
    static func withAlice(
        _ environment: [String: String] = [:], now: @escaping @Sendable () -> Date = Date.init,
        _ body:
            @escaping @Sendable (URL, PDSServices, any TestClientProtocol, ComAtprotoRepoTests.Account)
            async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(environment, dataDirectory: dir, now: now)
            try await TestApplication.make(services: services).test(.router) { client in
                try await body(
                    dir, services, client, try await ComAtprotoRepoTests.account(client, handle: "alice.test"))
            }
        }
    }

    /// `count` bytes that sniff as PNG (the signature, then deterministic filler).
    static func png(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var state = UInt32(seed) &* 2_654_435_761 | 1
        let filler = (0..<max(0, count - signature.count)).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
        return Array((signature + filler).prefix(count))
    }

    /// `com.atproto.repo.uploadBlob` with `*/*`, as clients send it.
    static func upload(
        _ client: some TestClientProtocol, token: String?, _ bytes: [UInt8], contentType: String = "*/*"
    ) async throws -> Reply {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: "/xrpc/com.atproto.repo.uploadBlob", method: .post, headers: headers, body: ByteBuffer(bytes: bytes)
        ) { response in
            let json =
                (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                ?? [:]
            return Reply(status: response.status, json: json)
        }
    }

    /// The `blob` of a successful upload.
    static func uploaded(_ client: some TestClientProtocol, token: String, _ bytes: [UInt8]) async throws
        -> [String: Any]
    {
        let reply = try await upload(client, token: token, bytes)
        #expect(reply.status == .ok, "\(reply.json)")
        return try #require(reply.json["blob"] as? [String: Any])
    }

    /// The CID string of a blob ref.
    static func cid(_ blob: [String: Any]) throws -> String {
        try #require((blob["ref"] as? [String: Any])?["$link"] as? String)
    }

    /// A post embedding `blobs` as images.
    static func post(_ text: String, images blobs: [[String: Any]]) -> [String: Any] {
        var record = ComAtprotoRepoTests.post(text)
        record["embed"] = [
            "$type": "app.bsky.embed.images", "images": blobs.map { ["image": $0, "alt": ""] as [String: Any] },
        ]
        return record
    }

    /// `createRecord` of a post embedding `blobs`.
    static func createPost(
        _ client: some TestClientProtocol, _ account: ComAtprotoRepoTests.Account, images blobs: [[String: Any]],
        validate: Bool? = nil
    ) async throws -> Reply {
        var body: [String: Any] = [
            "repo": account.did, "collection": "app.bsky.feed.post", "record": post("with images", images: blobs),
        ]
        if let validate { body["validate"] = validate }
        return try await ComAtprotoRepoTests.call(client, "createRecord", token: account.access, body: body)
    }

    /// `deleteRecord` of the record at `uri`.
    static func deleteRecord(_ client: some TestClientProtocol, _ account: ComAtprotoRepoTests.Account, uri: String)
        async throws -> Reply
    {
        let parts = uri.split(separator: "/")
        return try await ComAtprotoRepoTests.call(
            client, "deleteRecord", token: account.access,
            body: ["repo": account.did, "collection": String(parts[parts.count - 2]), "rkey": String(parts.last!)])
    }

    /// `com.atproto.sync.getBlob`.
    static func getBlob(
        _ client: some TestClientProtocol, did: String, cid: String, headers: HTTPFields = [:]
    ) async throws -> Raw {
        try await client.execute(
            uri: "/xrpc/com.atproto.sync.getBlob?did=\(did)&cid=\(cid)", method: .get, headers: headers
        ) { response in
            Raw(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
        }
    }

    // MARK: - The disk blobstore (dev mode: `<data>/blocks`)

    /// `<data>/blocks/<did>/<cid>`: a permanent blob.
    static func permanentFile(_ dir: URL, did: String, cid: String) -> String {
        dir.appendingPathComponent("blocks/\(did)/\(cid)").path
    }

    /// `<data>/blocks/quarantine/<did>/<cid>`: a taken-down blob.
    static func quarantineFile(_ dir: URL, did: String, cid: String) -> String {
        dir.appendingPathComponent("blocks/quarantine/\(did)/\(cid)").path
    }

    /// The files in `<data>/blocks/tempt/<did>`: temporary uploads.
    static func tempFiles(_ dir: URL, did: String) -> [String] {
        let path = dir.appendingPathComponent("blocks/tempt/\(did)").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
