/// Why a blobstore operation failed. Backend details (S3 XML, file-system paths) never appear here.
package enum BlobStoreError: Error, Equatable, Sendable {
    /// The blob or temporary upload does not exist.
    case notFound
    /// The upload exceeded the size limit (`PDS_BLOB_UPLOAD_LIMIT`); nothing was kept.
    case tooLarge(limit: Int)
    /// The requested byte range lies outside the blob (HTTP 416).
    case rangeNotSatisfiable(size: Int)
    /// A temporary key that is not lowercase base32 of a plausible length.
    case invalidTempKey
    /// The object store answered with an error: its HTTP status and, if it sent one, its short error code
    /// (for example `AccessDenied`, `NoSuchBucket`).
    case upstream(status: Int, code: String?)
    /// The object store did not answer in time (`PDS_BLOBSTORE_S3_*_TIMEOUT_MS`).
    case timeout
    /// The object store answered with something that could not be understood.
    case invalidResponse
    /// The object store could not be reached.
    case unreachable
    /// The S3 endpoint is not an `http` or `https` URL with a host.
    case invalidEndpoint
    /// A file-system call failed with this `errno`.
    case io(errno: Int32)
}
