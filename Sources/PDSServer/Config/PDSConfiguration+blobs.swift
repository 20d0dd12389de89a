import BlobStore
import Configuration
import Foundation

extension PDSConfiguration {
    /// Blob storage settings.
    package struct Blobs: Sendable {
        /// The blobstore, from the reference's variables (see ``BlobStoreConfiguration``):
        /// - `pds.blobstore.disk.location` → `PDS_BLOBSTORE_DISK_LOCATION` (dev mode default `<data>/blocks`, as the
        ///   reference distribution's `/pds/blocks`)
        /// - `pds.blobstore.disk.tmpLocation` → `PDS_BLOBSTORE_DISK_TMP_LOCATION` (default `<location>/tempt`)
        /// - `pds.blobstore.s3.bucket`, `.region`, `.endpoint`, `.forcePathStyle`, `.accessKeyId`,
        ///   `.secretAccessKey`, `.uploadTimeoutMs`, `.requestTimeoutMs` → `PDS_BLOBSTORE_S3_*` (credentials and
        ///   region fall back to `AWS_*`)
        ///
        /// `nil` when none is configured outside dev mode: ``PDSConfiguration/resolvingBlobstore()`` then stops
        /// start-up, as the reference does.
        package var store: BlobStoreConfiguration?
        /// - `pds.blobTempGcGraceMs` → `PDS_BLOB_TEMP_GC_GRACE_MS` (default one day; our extension): how long an
        ///   upload no record references is kept before the garbage collector deletes it
        package var tempGCGracePeriodMs: Int
        /// - `pds.blobTempGcIntervalMs` → `PDS_BLOB_TEMP_GC_INTERVAL_MS` (default one hour, `0` disables; our
        ///   extension): how often the garbage collector sweeps every actor
        package var tempGCIntervalMs: Int
    }

    /// The `PDS_BLOBSTORE_*` variables and their keys under the `pds` scope.
    static let blobstoreVariables: [(key: String, variable: String, isSecret: Bool)] = [
        ("blobstore.disk.location", "PDS_BLOBSTORE_DISK_LOCATION", false),
        ("blobstore.disk.tmpLocation", "PDS_BLOBSTORE_DISK_TMP_LOCATION", false),
        ("blobstore.s3.bucket", "PDS_BLOBSTORE_S3_BUCKET", false),
        ("blobstore.s3.region", "PDS_BLOBSTORE_S3_REGION", false),
        ("blobstore.s3.endpoint", "PDS_BLOBSTORE_S3_ENDPOINT", false),
        ("blobstore.s3.forcePathStyle", "PDS_BLOBSTORE_S3_FORCE_PATH_STYLE", false),
        ("blobstore.s3.accessKeyId", "PDS_BLOBSTORE_S3_ACCESS_KEY_ID", false),
        ("blobstore.s3.secretAccessKey", "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY", true),
        ("blobstore.s3.uploadTimeoutMs", "PDS_BLOBSTORE_S3_UPLOAD_TIMEOUT_MS", false),
        ("blobstore.s3.requestTimeoutMs", "PDS_BLOBSTORE_S3_REQUEST_TIMEOUT_MS", false),
    ]

    /// The variables read by their own names: the S3 SDK-style fallbacks.
    static let awsVariables = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
    ]

    /// Reads the blob settings; invalid ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - environment: the raw variables, for the `AWS_*` fallbacks.
    ///   - devMode: whether a missing blobstore defaults to `<data>/blocks`.
    ///   - dataDirectory: the data directory.
    ///   - uploadLimit: `PDS_BLOB_UPLOAD_LIMIT`, already read.
    ///   - problems: where problems are reported.
    static func readBlobs(
        reader: ConfigReader, environment: [String: String], devMode: Bool, dataDirectory: String, uploadLimit: Int,
        problems: inout [String]
    ) -> Blobs {
        var variables: [String: String] = [:]
        for (key, variable, isSecret) in blobstoreVariables {
            variables[variable] = reader.string(forKey: .init(key), isSecret: isSecret)
        }
        for variable in awsVariables { variables[variable] = environment[variable] }
        let configured = [variables["PDS_BLOBSTORE_DISK_LOCATION"], variables["PDS_BLOBSTORE_S3_BUCKET"]]
            .contains { !($0?.trimmingCharacters(in: .whitespaces).isEmpty ?? true) }
        if devMode && !configured {
            variables["PDS_BLOBSTORE_DISK_LOCATION"] =
                URL(fileURLWithPath: dataDirectory).appendingPathComponent("blocks").path
        }

        var store: BlobStoreConfiguration?
        do throws(BlobStoreConfiguration.Error) {
            store = try BlobStoreConfiguration(environment: variables)
            store?.uploadLimit = uploadLimit
        } catch .noBlobstore {
            store = nil
        } catch {
            problems.append(Self.describe(error))
        }

        func milliseconds(_ key: String, _ variable: String, default value: Int, minimum: Int) -> Int {
            guard let raw = reader.string(forKey: .init(key)) else { return value }
            guard let parsed = Int(raw), parsed >= minimum else {
                problems.append("\(variable) must be an integer ≥ \(minimum), got '\(raw)'")
                return value
            }
            return parsed
        }
        return Blobs(
            store: store,
            tempGCGracePeriodMs: milliseconds(
                "blobTempGcGraceMs", "PDS_BLOB_TEMP_GC_GRACE_MS", default: 86_400_000, minimum: 1),
            tempGCIntervalMs: milliseconds(
                "blobTempGcIntervalMs", "PDS_BLOB_TEMP_GC_INTERVAL_MS", default: 3_600_000, minimum: 0)
        )
    }

    /// The blobstore the server runs with.
    /// - Throws: `PDSConfigurationError` when none is configured (only possible outside dev mode).
    package func resolvingBlobstore() throws -> BlobStoreConfiguration {
        guard let store = blobs.store else {
            throw PDSConfigurationError(problems: [
                "A blobstore is required: set PDS_BLOBSTORE_DISK_LOCATION (for example /pds/blocks) or "
                    + "PDS_BLOBSTORE_S3_BUCKET"
            ])
        }
        return store
    }

    /// A configuration problem, naming the variables to fix.
    static func describe(_ error: BlobStoreConfiguration.Error) -> String {
        switch error {
        case .noBlobstore:
            "A blobstore is required: set PDS_BLOBSTORE_DISK_LOCATION or PDS_BLOBSTORE_S3_BUCKET"
        case .bothBlobstores:
            "Set only one of PDS_BLOBSTORE_DISK_LOCATION and PDS_BLOBSTORE_S3_BUCKET"
        case .partialCredentials:
            "PDS_BLOBSTORE_S3_ACCESS_KEY_ID and PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY must be set together"
        case .missingCredentials:
            "The S3 blobstore needs PDS_BLOBSTORE_S3_ACCESS_KEY_ID and PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY "
                + "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        case .missingRegion:
            "The S3 blobstore needs PDS_BLOBSTORE_S3_REGION (or AWS_REGION)"
        case .invalidValue(let variable):
            "\(variable) is invalid"
        }
    }
}
