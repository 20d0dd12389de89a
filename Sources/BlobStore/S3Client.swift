import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// The few S3 operations the blobstore needs, over AsyncHTTPClient with hand-written SigV4 signing.
///
/// Works with AWS and S3-compatible servers (path-style for most of them). Every response error is mapped to a
/// ``BlobStoreError``; S3 XML never reaches callers.
package struct S3Client: Sendable {
    /// Where and how to reach the bucket.
    package struct Configuration: Sendable, Equatable {
        /// The bucket (`PDS_BLOBSTORE_S3_BUCKET`).
        package var bucket: String
        /// The region (`PDS_BLOBSTORE_S3_REGION`).
        package var region: String
        /// The endpoint, for example `http://127.0.0.1:9000` (`PDS_BLOBSTORE_S3_ENDPOINT`); default
        /// `https://s3.<region>.amazonaws.com`.
        package var endpoint: String?
        /// Address the bucket in the path (`/<bucket>/<key>`) rather than the host name
        /// (`PDS_BLOBSTORE_S3_FORCE_PATH_STYLE`).
        package var forcePathStyle: Bool
        /// The access key.
        package var credentials: AWSSigV4.Credentials
        /// The time allowed for an upload request to be answered (`PDS_BLOBSTORE_S3_UPLOAD_TIMEOUT_MS`, 20 s).
        package var uploadTimeout: Duration
        /// The time allowed for any other request to be answered (`PDS_BLOBSTORE_S3_REQUEST_TIMEOUT_MS`).
        package var requestTimeout: Duration
        /// The multipart part size; uploads up to this size are a single `PutObject`. S3 requires at least 5 MiB
        /// for every part but the last.
        package var partSize: Int

        /// The smallest part size S3 accepts.
        package static let minimumPartSize = 5 * 1024 * 1024

        /// A configuration.
        /// - Parameters:
        ///   - bucket: the bucket.
        ///   - region: the region.
        ///   - endpoint: the endpoint URL, `nil` for AWS.
        ///   - forcePathStyle: use path-style addressing.
        ///   - credentials: the access key.
        ///   - uploadTimeout: the upload request timeout.
        ///   - requestTimeout: the timeout of other requests; default `max(min(upload, 15 s), 6 s)` as in the
        ///     reference.
        ///   - partSize: the multipart part size (at least 5 MiB).
        package init(
            bucket: String,
            region: String,
            endpoint: String? = nil,
            forcePathStyle: Bool = false,
            credentials: AWSSigV4.Credentials,
            uploadTimeout: Duration = .milliseconds(20_000),
            requestTimeout: Duration? = nil,
            partSize: Int = 8 * 1024 * 1024
        ) {
            self.bucket = bucket
            self.region = region
            self.endpoint = endpoint
            self.forcePathStyle = forcePathStyle
            self.credentials = credentials
            self.uploadTimeout = uploadTimeout
            self.requestTimeout = requestTimeout ?? max(min(uploadTimeout, .seconds(15)), .seconds(6))
            self.partSize = max(partSize, Self.minimumPartSize)
        }
    }

    /// The configuration.
    package let configuration: Configuration
    let httpClient: HTTPClient
    let signer: AWSSigV4
    let now: @Sendable () -> Date
    private let scheme: String
    private let host: String
    private let hostHeader: String

    /// A client.
    /// - Parameters:
    ///   - configuration: the bucket and credentials.
    ///   - httpClient: the HTTP client (owned by the caller, who shuts it down).
    ///   - now: the signing clock.
    package init(
        configuration: Configuration,
        httpClient: HTTPClient,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws(BlobStoreError) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.now = now
        self.signer = AWSSigV4(credentials: configuration.credentials, region: configuration.region, service: "s3")
        let endpoint = configuration.endpoint ?? "https://s3.\(configuration.region).amazonaws.com"
        guard let components = URLComponents(string: endpoint), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let endpointHost = components.host, !endpointHost.isEmpty
        else { throw .invalidEndpoint }
        let host = configuration.forcePathStyle ? endpointHost : "\(configuration.bucket).\(endpointHost)"
        self.scheme = scheme
        self.host = host
        let defaultPort = scheme == "https" ? 443 : 80
        if let port = components.port, port != defaultPort {
            self.hostHeader = "\(host):\(port)"
        } else {
            self.hostHeader = host
        }
    }

    // MARK: - Requests

    /// The encoded path of an object (or of the bucket when `key` is `nil`).
    func path(_ key: String?) -> String {
        let keyPath = key.map { "/" + AWSSigV4.encodePath($0) } ?? "/"
        guard configuration.forcePathStyle else { return keyPath }
        return "/" + AWSSigV4.encode(configuration.bucket) + (key == nil ? "" : keyPath)
    }

    /// Sends a signed request and returns the response (any status).
    func send(
        _ method: HTTPMethod,
        key: String?,
        query: [(name: String, value: String)] = [],
        headers extra: [(name: String, value: String)] = [],
        body: ByteBuffer? = nil,
        timeout: Duration
    ) async throws -> HTTPClientResponse {
        let path = path(key)
        let payload: AWSSigV4.Payload =
            body.map { buffer in buffer.withUnsafeReadableBytes { AWSSigV4.Payload.hashing($0) } } ?? .empty
        var toSign = [(name: "host", value: hostHeader)] + extra
        toSign += signer.sign(
            AWSSigV4.Request(method: method.rawValue, path: path, query: query, headers: toSign, payload: payload),
            date: now()
        )
        let queryString = AWSSigV4.canonicalQuery(query)
        var request = HTTPClientRequest(url: "\(scheme)://\(hostHeader)\(path)\(queryString.isEmpty ? "" : "?" + queryString)")
        request.method = method
        for (name, value) in toSign { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(body)
        } else if method == .PUT || method == .POST {
            request.headers.add(name: "content-length", value: "0")
        }
        do {
            let (seconds, attoseconds) = timeout.components
            let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            return try await httpClient.execute(request, timeout: .nanoseconds(nanoseconds))
        } catch {
            throw Self.map(error)
        }
    }

    /// Reads a response body (bounded) for XML parsing.
    static func body(_ response: HTTPClientResponse, limit: Int = 4 * 1024 * 1024) async throws -> [UInt8] {
        do {
            var buffer = try await response.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw BlobStoreError.invalidResponse
        } catch {
            throw map(error)
        }
    }

    /// Throws the ``BlobStoreError`` for a non-2xx response (after reading its error code).
    static func check(_ response: HTTPClientResponse) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        throw await failure(response)
    }

    /// The error of a failed response: `notFound` for a missing object (404 without a code, `NoSuchKey`), else
    /// `upstream` with S3's error code (a missing bucket is `upstream(404, "NoSuchBucket")`, a configuration error).
    static func failure(_ response: HTTPClientResponse) async -> BlobStoreError {
        let status = Int(response.status.code)
        let code = (try? await body(response, limit: 64 * 1024)).flatMap { try? S3XML.parse($0) }.flatMap {
            $0.name == "Error" ? $0.text(of: "Code") : nil
        }.map(Self.sanitizedCode)
        if status == 404, code == nil || code == "NoSuchKey" { return .notFound }
        return .upstream(status: status, code: code)
    }

    /// Keeps an S3 error code short and printable.
    static func sanitizedCode(_ code: String) -> String {
        String(code.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.prefix(64))
    }

    /// Maps transport errors; passes ``BlobStoreError`` and cancellation through.
    static func map(_ error: any Error) -> any Error {
        if error is BlobStoreError || error is CancellationError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return BlobStoreError.timeout
            case .cancelled:
                return CancellationError()
            default:
                return BlobStoreError.unreachable
            }
        }
        return BlobStoreError.unreachable
    }

    // MARK: - Objects

    /// `PutObject` of bytes in memory.
    /// - Parameters:
    ///   - key: the object key.
    ///   - body: the content.
    package func putObject(_ key: String, body: ByteBuffer) async throws {
        let response = try await send(
            .PUT,
            key: key,
            headers: [("content-type", "application/octet-stream")],
            body: body,
            timeout: configuration.uploadTimeout
        )
        try await Self.check(response)
    }

    /// `GetObject`, optionally of a byte range. The body streams.
    /// - Parameters:
    ///   - key: the object key.
    ///   - range: the bytes wanted.
    /// - Throws: ``BlobStoreError/notFound``, ``BlobStoreError/rangeNotSatisfiable(size:)``.
    package func getObject(_ key: String, range: BlobByteRange?) async throws -> BlobContent {
        let response = try await send(
            .GET,
            key: key,
            headers: range.map { [("range", $0.headerValue)] } ?? [],
            timeout: configuration.requestTimeout
        )
        switch response.status.code {
        case 200:
            guard let length = response.headers.first(name: "content-length").flatMap(Int.init) else {
                throw BlobStoreError.invalidResponse
            }
            return BlobContent(size: length, range: nil, body: BlobByteStream(.http(response.body)))
        case 206:
            // Content-Range: bytes first-last/size
            guard let header = response.headers.first(name: "content-range"),
                let (selected, size) = Self.parseContentRange(header)
            else { throw BlobStoreError.invalidResponse }
            let whole = selected == 0...(size - 1)
            return BlobContent(size: size, range: whole ? nil : selected, body: BlobByteStream(.http(response.body)))
        case 416:
            let size = response.headers.first(name: "content-range").flatMap { header in
                header.split(separator: "/").last.flatMap { Int($0) }
            }
            let resolved: Int
            if let size { resolved = size } else { resolved = try await headObject(key) ?? 0 }
            throw BlobStoreError.rangeNotSatisfiable(size: resolved)
        default:
            throw await Self.failure(response)
        }
    }

    static func parseContentRange(_ header: String) -> (ClosedRange<Int>, Int)? {
        guard header.hasPrefix("bytes ") else { return nil }
        let parts = header.dropFirst(6).split(separator: "/")
        guard parts.count == 2, let size = Int(parts[1]) else { return nil }
        let bounds = parts[0].split(separator: "-")
        guard bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), first <= last, last < size
        else { return nil }
        return (first...last, size)
    }

    /// `HeadObject`: the object's size, or `nil` if it does not exist.
    /// - Parameters:
    ///   - key: the object key.
    package func headObject(_ key: String) async throws -> Int? {
        let response = try await send(.HEAD, key: key, timeout: configuration.requestTimeout)
        if response.status == .notFound { return nil }
        try await Self.check(response)
        return response.headers.first(name: "content-length").flatMap(Int.init) ?? 0
    }

    /// `CopyObject` within the bucket.
    /// - Parameters:
    ///   - source: the source key.
    ///   - destination: the destination key.
    /// - Throws: ``BlobStoreError/notFound`` if the source does not exist.
    package func copyObject(from source: String, to destination: String) async throws {
        let copySource = "/" + AWSSigV4.encode(configuration.bucket) + "/" + AWSSigV4.encodePath(source)
        let response = try await send(
            .PUT,
            key: destination,
            headers: [("x-amz-copy-source", copySource)],
            timeout: configuration.requestTimeout
        )
        try await Self.check(response)
        // A copy can fail after the 200 status was sent; the body then is an <Error>.
        let document = try S3XML.parse(try await Self.body(response))
        if document.name == "Error" {
            let code = document.text(of: "Code").map(Self.sanitizedCode)
            throw code == "NoSuchKey" ? BlobStoreError.notFound : BlobStoreError.upstream(status: 200, code: code)
        }
    }

    /// `DeleteObject`; a missing object is not an error.
    /// - Parameters:
    ///   - key: the object key.
    package func deleteObject(_ key: String) async throws {
        // S3 answers 204 for a missing key; a 404 here is a missing bucket, which is an error.
        let response = try await send(.DELETE, key: key, timeout: configuration.requestTimeout)
        try await Self.check(response)
    }

    /// `DeleteObjects` (quiet mode) in batches of 1000 keys.
    /// - Parameters:
    ///   - keys: the object keys.
    /// - Throws: ``BlobStoreError/upstream(status:code:)`` with the first per-key error S3 reports.
    package func deleteObjects(_ keys: [String]) async throws {
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(start + 1000, keys.count)]
            start += batch.count
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            for key in batch { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
            xml += "</Delete>"
            let body = ByteBuffer(string: xml)
            let md5 = Data(Insecure.MD5.hash(data: Array(xml.utf8))).base64EncodedString()
            let response = try await send(
                .POST,
                key: nil,
                query: [("delete", "")],
                headers: [("content-md5", md5), ("content-type", "application/xml")],
                body: body,
                timeout: configuration.requestTimeout
            )
            try await Self.check(response)
            let result = try S3XML.parse(try await Self.body(response))
            if result.name == "Error" {
                throw BlobStoreError.upstream(status: 200, code: result.text(of: "Code").map(Self.sanitizedCode))
            }
            if let error = result.children("Error").first {
                throw BlobStoreError.upstream(status: 200, code: error.text(of: "Code").map(Self.sanitizedCode))
            }
        }
    }

    /// One page of `ListObjectsV2`.
    package struct ListPage: Sendable {
        /// The objects: key and last-modified time.
        package var objects: [(key: String, lastModified: Date)]
        /// The token for the next page, `nil` on the last one.
        package var continuationToken: String?
    }

    /// `ListObjectsV2`: one page of keys under a prefix.
    /// - Parameters:
    ///   - prefix: the key prefix.
    ///   - continuationToken: the previous page's token.
    ///   - maxKeys: the page size (at most 1000).
    package func listObjects(prefix: String, continuationToken: String? = nil, maxKeys: Int = 1000) async throws
        -> ListPage
    {
        var query: [(name: String, value: String)] = [
            ("list-type", "2"), ("prefix", prefix), ("max-keys", String(max(1, min(maxKeys, 1000)))),
        ]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try await send(.GET, key: nil, query: query, timeout: configuration.requestTimeout)
        try await Self.check(response)
        let result = try S3XML.parse(try await Self.body(response))
        guard result.name == "ListBucketResult" else { throw BlobStoreError.invalidResponse }
        let objects = try result.children("Contents").map { object throws -> (key: String, lastModified: Date) in
            guard let key = object.text(of: "Key"), let modified = object.text(of: "LastModified"),
                let date = Self.parseDate(modified)
            else { throw BlobStoreError.invalidResponse }
            return (key, date)
        }
        let truncated = result.text(of: "IsTruncated") == "true"
        let next = result.text(of: "NextContinuationToken")
        guard !truncated || next != nil else { throw BlobStoreError.invalidResponse }
        return ListPage(objects: objects, continuationToken: truncated ? next : nil)
    }

    /// Every key under a prefix (all pages).
    /// - Parameters:
    ///   - prefix: the key prefix.
    ///   - pageSize: keys per request.
    package func listAllObjects(prefix: String, pageSize: Int = 1000) async throws -> [(key: String, lastModified: Date)] {
        var all: [(key: String, lastModified: Date)] = []
        var token: String?
        repeat {
            let page = try await listObjects(prefix: prefix, continuationToken: token, maxKeys: pageSize)
            all += page.objects
            token = page.continuationToken
        } while token != nil
        return all
    }

    /// Parses S3's ISO-8601 timestamps (`2024-05-01T12:00:00.000Z`, with or without fractional seconds).
    static func parseDate(_ string: String) -> Date? {
        if let date = try? Date(string, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(string, strategy: Date.ISO8601FormatStyle())
    }

    /// `CreateBucket` (used by tests and first-run setup against S3-compatible servers).
    package func createBucket() async throws {
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(
                string: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(S3XML.escape(configuration.region))</LocationConstraint>"
                    + "</CreateBucketConfiguration>"
            )
        }
        let response = try await send(.PUT, key: nil, body: body, timeout: configuration.requestTimeout)
        try await Self.check(response)
    }
}
