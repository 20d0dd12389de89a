import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Uploads a stream: a single `PutObject` if it fits in one part, else a multipart upload with parts of
    /// ``Configuration/partSize`` (memory use is bounded by one part). A failed multipart upload is aborted, so
    /// nothing is left behind, even when the task was cancelled.
    /// - Parameters:
    ///   - key: the object key.
    ///   - chunks: the content.
    package func upload(_ key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws {
        let partSize = configuration.partSize
        var part = ByteBuffer()
        var uploadID: String?
        var parts: [(number: Int, etag: String)] = []
        do {
            for try await var chunk in chunks {
                while chunk.readableBytes > 0 {
                    if part.readableBytes == partSize {
                        // A full part and more data follows: it is a multipart upload.
                        if uploadID == nil { uploadID = try await createMultipartUpload(key) }
                        let number = parts.count + 1
                        parts.append((number, try await uploadPart(key, uploadID: uploadID!, number: number, body: part)))
                        part.clear()
                    }
                    var slice = chunk.readSlice(length: min(chunk.readableBytes, partSize - part.readableBytes))!
                    part.writeBuffer(&slice)
                }
            }
            guard let uploadID else {
                try await putObject(key, body: part)
                return
            }
            // The last part is never empty: a full part is only sent once more data arrives.
            let number = parts.count + 1
            parts.append((number, try await uploadPart(key, uploadID: uploadID, number: number, body: part)))
            try await completeMultipartUpload(key, uploadID: uploadID, parts: parts)
        } catch {
            if let uploadID {
                // A fresh task: the abort must run even if this task was cancelled.
                let client = self
                _ = await Task { try? await client.abortMultipartUpload(key, uploadID: uploadID) }.value
            }
            throw error
        }
    }

    /// `CreateMultipartUpload`: the upload ID.
    func createMultipartUpload(_ key: String) async throws -> String {
        let response = try await send(
            .POST,
            key: key,
            query: [("uploads", "")],
            headers: [("content-type", "application/octet-stream")],
            timeout: configuration.requestTimeout
        )
        try await Self.check(response)
        let result = try S3XML.parse(try await Self.body(response))
        guard result.name == "InitiateMultipartUploadResult", let id = result.text(of: "UploadId"), !id.isEmpty else {
            throw BlobStoreError.invalidResponse
        }
        return id
    }

    /// `UploadPart`: the part's ETag.
    func uploadPart(_ key: String, uploadID: String, number: Int, body: ByteBuffer) async throws -> String {
        let response = try await send(
            .PUT,
            key: key,
            query: [("partNumber", String(number)), ("uploadId", uploadID)],
            body: body,
            timeout: configuration.uploadTimeout
        )
        try await Self.check(response)
        guard let etag = response.headers.first(name: "etag") else { throw BlobStoreError.invalidResponse }
        return etag
    }

    /// `CompleteMultipartUpload`.
    func completeMultipartUpload(_ key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await send(
            .POST,
            key: key,
            query: [("uploadId", uploadID)],
            headers: [("content-type", "application/xml")],
            body: ByteBuffer(string: xml),
            timeout: configuration.uploadTimeout
        )
        try await Self.check(response)
        // Like CopyObject, completion can fail after a 200 status.
        let result = try S3XML.parse(try await Self.body(response))
        if result.name == "Error" {
            throw BlobStoreError.upstream(status: 200, code: result.text(of: "Code").map(Self.sanitizedCode))
        }
    }

    /// `AbortMultipartUpload`.
    func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        let response = try await send(
            .DELETE,
            key: key,
            query: [("uploadId", uploadID)],
            timeout: configuration.requestTimeout
        )
        if response.status == .notFound { return }
        try await Self.check(response)
    }
}
