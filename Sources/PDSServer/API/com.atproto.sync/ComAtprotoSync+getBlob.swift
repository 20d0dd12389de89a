import ATCore
import ActorStore
import BlobStore
import HTTPTypes
import Hummingbird

extension ComAtprotoSync {
    /// `com.atproto.sync.getBlob`: a blob's bytes, streamed from the blobstore with its stored MIME type.
    ///
    /// Only blobs that are permanent (claimed by a record) and not taken down are served, to anyone while the repo
    /// is available (taken-down and deactivated repos to their owner and the admin only). A single HTTP `Range`
    /// gets 206 with `content-range`, an unsatisfiable one 416; a malformed or multi-range header is ignored.
    /// Headers as in the reference: `content-length`, `x-content-type-options: nosniff`,
    /// `content-disposition: attachment`, and a `content-security-policy` that forbids everything.
    /// - Throws: 400 `BlobNotFound`, `RepoNotFound`, `RepoTakendown`, `RepoDeactivated`.
    func getBlob(_ request: Request) async throws -> Response {
        let parameters = XRPCParameters(request)
        let did = try didParameter(parameters)
        let cid = try parameters.parseRequired("cid") { try CID($0) }
        _ = try await availableAccount(did, request: request)
        let metadata = try await read(did) { try $0.blob.metadata(cid) }
        guard let metadata, metadata.tempKey == nil else { throw XRPCError.blobNotFound() }

        var headers: HTTPFields = [
            .contentType: metadata.mimeType,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            .contentDisposition: "attachment; filename=\"\(cid)\"",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
            .acceptRanges: "bytes",
        ]
        let content: BlobContent
        do {
            content = try await blobstore(did).get(
                cid, range: request.headers[.range].flatMap(BlobByteRange.init))
        } catch BlobStoreError.notFound {
            throw XRPCError.blobNotFound()
        } catch BlobStoreError.rangeNotSatisfiable(let size) {
            return try XRPCError(
                status: .rangeNotSatisfiable, name: XRPCErrorName.invalidRange, message: "Range not satisfiable for \(size) bytes"
            ).response(adding: [.contentRange: "bytes */\(size)"])
        }
        if let range = content.range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(content.size)"
        }
        let body = content.body
        return Response(
            status: content.range == nil ? .ok : .partialContent,
            headers: headers,
            body: ResponseBody(contentLength: content.contentLength) { writer in
                for try await chunk in body { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        )
    }
}
