import AsyncHTTPClient
import Foundation

/// The blobstore choice, read from the reference PDS's environment variables.
///
/// - `PDS_BLOBSTORE_DISK_LOCATION`, `PDS_BLOBSTORE_DISK_TMP_LOCATION` (default `<location>/tempt`) → ``Backend/disk(_:)``
/// - `PDS_BLOBSTORE_S3_BUCKET`, `_REGION` (else `AWS_REGION`, `AWS_DEFAULT_REGION`), `_ENDPOINT`, `_FORCE_PATH_STYLE`,
///   `_ACCESS_KEY_ID` + `_SECRET_ACCESS_KEY` (both or neither; else `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
///   `AWS_SESSION_TOKEN`), `_UPLOAD_TIMEOUT_MS` (20000), `_REQUEST_TIMEOUT_MS` → ``Backend/s3(_:)``
/// - `PDS_BLOB_UPLOAD_LIMIT` (5242880) → ``uploadLimit``
///
/// Exactly one of the disk location and the S3 bucket must be set.
package struct BlobStoreConfiguration: Sendable, Equatable {
    /// Where blobs are kept.
    package enum Backend: Sendable, Equatable {
        /// The local file system.
        case disk(DiskBlobStore.Locations)
        /// An S3 bucket.
        case s3(S3Client.Configuration)
    }

    /// Why the configuration is unusable; each case names the variable(s) to fix.
    package enum Error: Swift.Error, Equatable, Sendable {
        /// Neither `PDS_BLOBSTORE_DISK_LOCATION` nor `PDS_BLOBSTORE_S3_BUCKET` is set.
        case noBlobstore
        /// Both are set.
        case bothBlobstores
        /// Only one of `PDS_BLOBSTORE_S3_ACCESS_KEY_ID` and `PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY` is set.
        case partialCredentials
        /// No credentials in `PDS_BLOBSTORE_S3_*` nor in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
        case missingCredentials
        /// No region in `PDS_BLOBSTORE_S3_REGION`, `AWS_REGION` or `AWS_DEFAULT_REGION`.
        case missingRegion
        /// A variable's value could not be parsed.
        case invalidValue(variable: String)
    }

    /// The backend.
    package var backend: Backend
    /// The largest accepted upload in bytes.
    package var uploadLimit: Int

    /// The reference default for `PDS_BLOB_UPLOAD_LIMIT`, 5 MiB.
    package static let defaultUploadLimit = 5 * 1024 * 1024

    /// A configuration.
    /// - Parameters:
    ///   - backend: the backend.
    ///   - uploadLimit: the upload size limit.
    package init(backend: Backend, uploadLimit: Int = defaultUploadLimit) {
        self.backend = backend
        self.uploadLimit = uploadLimit
    }

    /// Reads the configuration from environment variables.
    /// - Parameters:
    ///   - environment: the variables, for example `ProcessInfo.processInfo.environment`.
    package init(environment env: [String: String]) throws(Error) {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func integer(_ name: String) throws(Error) -> Int? {
            guard let raw = value(name) else { return nil }
            guard let parsed = Int(raw), parsed > 0 else { throw .invalidValue(variable: name) }
            return parsed
        }
        self.uploadLimit = try integer("PDS_BLOB_UPLOAD_LIMIT") ?? Self.defaultUploadLimit

        let disk = value("PDS_BLOBSTORE_DISK_LOCATION")
        let bucket = value("PDS_BLOBSTORE_S3_BUCKET")
        switch (disk, bucket) {
        case (nil, nil): throw .noBlobstore
        case (.some, .some): throw .bothBlobstores
        case (let location?, nil):
            self.backend = .disk(
                DiskBlobStore.Locations(
                    location: URL(fileURLWithPath: location, isDirectory: true),
                    tempLocation: value("PDS_BLOBSTORE_DISK_TMP_LOCATION").map {
                        URL(fileURLWithPath: $0, isDirectory: true)
                    }
                )
            )
        case (nil, let bucket?):
            let credentials: AWSSigV4.Credentials
            switch (value("PDS_BLOBSTORE_S3_ACCESS_KEY_ID"), value("PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY")) {
            case (let id?, let secret?):
                credentials = AWSSigV4.Credentials(accessKeyID: id, secretAccessKey: secret)
            case (nil, nil):
                guard let id = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else {
                    throw .missingCredentials
                }
                credentials = AWSSigV4.Credentials(
                    accessKeyID: id,
                    secretAccessKey: secret,
                    sessionToken: value("AWS_SESSION_TOKEN")
                )
            default:
                throw .partialCredentials
            }
            guard let region = value("PDS_BLOBSTORE_S3_REGION") ?? value("AWS_REGION") ?? value("AWS_DEFAULT_REGION")
            else { throw .missingRegion }
            let endpoint = value("PDS_BLOBSTORE_S3_ENDPOINT")
            if let endpoint {
                guard let url = URLComponents(string: endpoint), url.scheme == "http" || url.scheme == "https",
                    url.host?.isEmpty == false
                else { throw .invalidValue(variable: "PDS_BLOBSTORE_S3_ENDPOINT") }
            }
            var forcePathStyle = false
            if let raw = value("PDS_BLOBSTORE_S3_FORCE_PATH_STYLE") {
                switch raw.lowercased() {
                case "true", "1": forcePathStyle = true
                case "false", "0": forcePathStyle = false
                default: throw .invalidValue(variable: "PDS_BLOBSTORE_S3_FORCE_PATH_STYLE")
                }
            }
            let upload = try integer("PDS_BLOBSTORE_S3_UPLOAD_TIMEOUT_MS") ?? 20_000
            let request = try integer("PDS_BLOBSTORE_S3_REQUEST_TIMEOUT_MS")
            self.backend = .s3(
                S3Client.Configuration(
                    bucket: bucket,
                    region: region,
                    endpoint: endpoint,
                    forcePathStyle: forcePathStyle,
                    credentials: credentials,
                    uploadTimeout: .milliseconds(upload),
                    requestTimeout: request.map { .milliseconds($0) }
                )
            )
        }
    }

    /// The factory of per-actor stores.
    /// - Parameters:
    ///   - httpClient: the HTTP client for S3 (owned and shut down by the caller).
    package func makeFactory(httpClient: HTTPClient) throws(BlobStoreError) -> BlobStoreFactory {
        switch backend {
        case .disk(let locations):
            return BlobStoreFactory { did in DiskBlobStore(did: did, locations: locations) }
        case .s3(let configuration):
            let client = try S3Client(configuration: configuration, httpClient: httpClient)
            return BlobStoreFactory { did in S3BlobStore(did: did, client: client) }
        }
    }
}
