import Foundation
import HTTPTypes

/// A blob reference, as `uploadBlob` returns it and records embed it: `{$type: "blob", ref: {$link}, mimeType, size}`.
package struct XRPCBlobRef: Codable, Sendable, Equatable {
    /// `{$link}`: the blob's CID.
    package struct Link: Codable, Sendable, Equatable {
        /// The CID string.
        package var link: String

        enum CodingKeys: String, CodingKey { case link = "$link" }
    }

    /// `blob`.
    package var type: String
    /// The blob's CID.
    package var ref: Link
    /// The MIME type.
    package var mimeType: String
    /// The size in bytes.
    package var size: Int

    enum CodingKeys: String, CodingKey {
        case type = "$type"
        case ref, mimeType, size
    }

    /// A reference to `cid` (a blob that may or may not exist).
    package init(cid: String, mimeType: String, size: Int) {
        self.type = "blob"
        self.ref = Link(link: cid)
        self.mimeType = mimeType
        self.size = size
    }

    /// The blob's CID string.
    package var cid: String { ref.link }

    /// The reference as record JSON.
    package var json: [String: Any] { ["$type": type, "ref": ["$link": ref.link], "mimeType": mimeType, "size": size] }
}

/// The output of `com.atproto.repo.uploadBlob`.
package struct XRPCUploadBlobOutput: Decodable, Sendable {
    /// The uploaded blob.
    package let blob: XRPCBlobRef
}

extension XRPCTestClient {
    /// `com.atproto.repo.uploadBlob` of `bytes`, with `*/*` as clients send it unless told otherwise.
    /// - Parameters:
    ///   - bytes: the blob.
    ///   - token: a Bearer token (an access token or a service JWT).
    ///   - contentType: the declared MIME type.
    package func uploadBlob(_ bytes: [UInt8], token: String?, contentType: String = "*/*") async throws -> XRPCReply {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await send("com.atproto.repo.uploadBlob", method: .post, headers: headers, body: bytes)
    }

    /// The `blob` of a successful `uploadBlob`.
    /// - Throws: ``UnexpectedReply`` when the upload fails.
    package func uploadedBlob(_ bytes: [UInt8], token: String) async throws -> XRPCBlobRef {
        let reply = try await uploadBlob(bytes, token: token)
        guard reply.status == .ok else { throw UnexpectedReply(reply: reply) }
        return try reply.decode(XRPCUploadBlobOutput.self).blob
    }

    /// `com.atproto.sync.getBlob`, with only `headers` (no content type).
    package func getBlob(did: String, cid: String, headers: HTTPFields = [:]) async throws -> XRPCReply {
        try await send("com.atproto.sync.getBlob", method: .get, headers: headers, query: "did=\(did)&cid=\(cid)")
    }

    /// `createRecord` of a post embedding `blobs` as images.
    package func createPost(_ session: XRPCSession, images blobs: [XRPCBlobRef], validate: Bool? = nil)
        async throws -> XRPCReply
    {
        try await createPost(session, images: blobs.map(\.json), validate: validate)
    }

    /// `createRecord` of a post embedding `images` (blob JSON as given, for references the server must refuse).
    package func createPost(_ session: XRPCSession, images: [[String: Any]], validate: Bool? = nil)
        async throws -> XRPCReply
    {
        var input: [String: Any] = [
            "repo": session.did, "collection": "app.bsky.feed.post", "record": Self.post("with images", images: images),
        ]
        if let validate { input["validate"] = validate }
        return try await call("com.atproto.repo.createRecord", token: session.accessJwt, json: input)
    }

    /// `deleteRecord` of the record at `uri`.
    package func deleteRecord(_ session: XRPCSession, uri: String) async throws -> XRPCReply {
        let parts = uri.split(separator: "/")
        return try await call(
            "com.atproto.repo.deleteRecord", token: session.accessJwt,
            json: ["repo": session.did, "collection": String(parts[parts.count - 2]), "rkey": String(parts.last!)])
    }

    /// A post embedding `blobs` as images.
    package static func post(_ text: String, images blobs: [XRPCBlobRef]) -> [String: Any] {
        post(text, images: blobs.map(\.json))
    }

    /// A post embedding `images` (blob JSON) as images.
    package static func post(_ text: String, images: [[String: Any]]) -> [String: Any] {
        var record = post(text)
        record["embed"] = [
            "$type": "app.bsky.embed.images", "images": images.map { ["image": $0, "alt": ""] as [String: Any] },
        ]
        return record
    }
}

/// `count` bytes that sniff as PNG (the signature, then deterministic filler).
/// - Parameters:
///   - count: the size.
///   - seed: varies the filler.
package func pngBytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
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

/// The disk blobstore of a test server (dev mode: `<data>/blocks`), as files.
package struct DiskBlobFiles: Sendable {
    /// The server's data directory.
    package let dataDirectory: URL

    /// Files in `dataDirectory`.
    package init(_ dataDirectory: URL) { self.dataDirectory = dataDirectory }

    /// Whether `<data>/blocks/<did>/<cid>` exists: a permanent blob.
    package func hasPermanent(did: String, cid: String) -> Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("blocks/\(did)/\(cid)").path)
    }

    /// Whether `<data>/blocks/quarantine/<did>/<cid>` exists: a taken-down blob.
    package func hasQuarantined(did: String, cid: String) -> Bool {
        FileManager.default.fileExists(
            atPath: dataDirectory.appendingPathComponent("blocks/quarantine/\(did)/\(cid)").path)
    }

    /// The files in `<data>/blocks/tempt/<did>`, sorted: temporary uploads.
    package func tempUploads(did: String) -> [String] {
        let path = dataDirectory.appendingPathComponent("blocks/tempt/\(did)").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
