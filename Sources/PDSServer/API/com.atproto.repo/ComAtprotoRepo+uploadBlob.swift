import ATCore
import ActorStore
import BlobStore
import CoreMetrics
import Hummingbird
import Logging

extension ComAtprotoRepo {
    /// `com.atproto.repo.uploadBlob` (STD access token or a service JWT for this method; taken-down accounts are
    /// refused, deactivated ones may upload, as during an account migration).
    ///
    /// The body is streamed into the blobstore as a temporary upload while it is hashed (CIDv1 `raw`, sha-256),
    /// counted against `PDS_BLOB_UPLOAD_LIMIT` and its MIME type sniffed from the first bytes (the declared
    /// `Content-Type` is only a fallback: clients send `*/*`). The blob stays temporary until a record references
    /// it; unclaimed uploads are garbage-collected (``BlobTempCollector``).
    /// - Returns: `{blob: {$type: "blob", ref: {$link}, mimeType, size}}`.
    /// - Throws: 400 `BlobTooLarge` past the limit (nothing is kept), 400 `InvalidRequest` for a taken-down blob.
    func uploadBlob(_ request: Request, logger: Logger) async throws -> LexJSONResponse {
        let did = try await auth.accessOrServiceAuth(
            request, lxm: "com.atproto.repo.uploadBlob", scopes: SessionTokens.Scope.standard, checkTakedown: true
        ) { caller in
            // The reference checks `blob:` against the declared type (the stored type is sniffed afterwards).
            try caller.authorizeBlob(mime: request.headers[.contentType] ?? "application/octet-stream")
        }
        let limit = blobUploadLimit
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw XRPCError.blobTooLarge(limit: limit)
        }
        let blobs = blobs(did)
        let upload: BlobUploadResult
        do {
            upload = try await BlobUpload.upload(
                request.body, declaredMimeType: request.headers[.contentType], maxSize: limit, to: blobs.store)
        } catch BlobStoreError.tooLarge {
            throw XRPCError.blobTooLarge(limit: limit)
        }
        let row = try await blobs.track(upload, at: now())
        blobBytesUploaded.increment(by: Int64(upload.size))
        let ref = BlobRef(ref: row.cid, mimeType: row.mimeType, size: Int64(row.size))
        return LexJSONResponse(value: .map(["blob": ref.lexValue]))
    }
}

extension XRPCError {
    /// 400 `BlobTooLarge`: an upload over `PDS_BLOB_UPLOAD_LIMIT`.
    /// - Parameters:
    ///   - limit: the limit in bytes.
    static func blobTooLarge(limit: Int) -> XRPCError {
        .invalidRequest("This file is too large. The maximum size is \(limit) bytes.", name: XRPCErrorName.blobTooLarge)
    }
}
