import AsyncHTTPClient
import BlobStore
import Foundation

/// The continuous backup's settings (our extension; off unless `PDS_BACKUP_TARGET` is set):
///
/// - `PDS_BACKUP_TARGET`: a directory, or `s3://bucket/prefix` (credentials, region and endpoint from
///   `PDS_BACKUP_S3_ACCESS_KEY_ID`, `PDS_BACKUP_S3_SECRET_ACCESS_KEY`, `PDS_BACKUP_S3_REGION`,
///   `PDS_BACKUP_S3_ENDPOINT`, `PDS_BACKUP_S3_FORCE_PATH_STYLE`, each falling back to its `PDS_BLOBSTORE_S3_*`
///   twin, then to `AWS_*`);
/// - `PDS_BACKUP_ENCRYPTION_KEY`: 64 hex digits (required);
/// - `PDS_BACKUP_INTERVAL` (default `500ms`): how often changed files are shipped; the recovery point is about this
///   plus the time a round takes (`scripts/bench-backup.py`, 8 writers, WAL segments: p99 0.67 s at `500ms`);
/// - `PDS_BACKUP_SNAPSHOT_INTERVAL` (default `5m`): how often `sequencer.sqlite` and `did_cache.sqlite` are shipped
///   and expired versions pruned;
/// - `PDS_BACKUP_RETENTION` (default `7d`): how far back a point-in-time restore can go;
/// - `PDS_BACKUP_CHECKPOINT_SIZE` (default `4MB`; bytes, or with `KB`/`MB`): a database's WAL is checkpointed (after its
///   frames were shipped) once it is this large;
/// - `PDS_BACKUP_CHECKPOINT_INTERVAL` (default `1m`): … or once its last checkpoint is this old;
/// - `PDS_BACKUP_GENERATION_INTERVAL` (default `24h`): a database gets a new generation (a fresh copy, then WAL
///   segments) at its first change after the current one is this old, or after 2,000 segments.
///
/// Durations are a number with a unit (`500ms`, `1s`, `5m`, `24h`, `7d`), or plain seconds.
package struct BackupConfiguration: Sendable {
    /// `PDS_BACKUP_TARGET`.
    package var target: String
    /// The key.
    package var key: BackupKey
    /// `PDS_BACKUP_INTERVAL`.
    package var interval: Duration
    /// `PDS_BACKUP_SNAPSHOT_INTERVAL`.
    package var snapshotInterval: Duration
    /// `PDS_BACKUP_RETENTION`.
    package var retention: Duration
    /// `PDS_BACKUP_CHECKPOINT_SIZE`, `PDS_BACKUP_CHECKPOINT_INTERVAL` and `PDS_BACKUP_GENERATION_INTERVAL`.
    package var walPolicy: WALShippingPolicy
    /// The S3 settings when the target is a bucket.
    package var s3: (configuration: S3Client.Configuration, prefix: String)?

    /// Whether `environment` turns backups on (`PDS_BACKUP_TARGET` set).
    package static func isEnabled(_ environment: [String: String]) -> Bool {
        environment["PDS_BACKUP_TARGET"].map { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? false
    }

    /// Reads the settings.
    /// - Parameters:
    ///   - environment: the variables.
    ///   - requireTarget: whether a missing `PDS_BACKUP_TARGET` is an error.
    /// - Throws: ``BackupError``.
    package init(environment env: [String: String]) throws(BackupError) {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        guard let target = value("PDS_BACKUP_TARGET") else { throw BackupError.missingTarget }
        guard let keyHex = value("PDS_BACKUP_ENCRYPTION_KEY") else { throw BackupError.missingKey }
        self.target = target
        key = try BackupKey(hex: keyHex)
        func duration(_ name: String, _ fallback: Duration) throws(BackupError) -> Duration {
            guard let raw = value(name) else { return fallback }
            guard let parsed = Self.parseDuration(raw), parsed > .zero else {
                throw BackupError.invalidValue(variable: name, value: raw)
            }
            return parsed
        }
        interval = try duration("PDS_BACKUP_INTERVAL", .milliseconds(500))
        snapshotInterval = try duration("PDS_BACKUP_SNAPSHOT_INTERVAL", .seconds(300))
        retention = try duration("PDS_BACKUP_RETENTION", .seconds(7 * 86_400))
        walPolicy = WALShippingPolicy(
            checkpointBytes: 4 << 20, checkpointInterval: try duration("PDS_BACKUP_CHECKPOINT_INTERVAL", .seconds(60)),
            generationInterval: try duration("PDS_BACKUP_GENERATION_INTERVAL", .seconds(86_400)))
        if let raw = value("PDS_BACKUP_CHECKPOINT_SIZE") {
            guard let bytes = Self.parseSize(raw), bytes >= 4096 else {
                throw BackupError.invalidValue(variable: "PDS_BACKUP_CHECKPOINT_SIZE", value: raw)
            }
            walPolicy.checkpointBytes = bytes
        }
        if target.hasPrefix("s3://") {
            let rest = target.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            let prefix = String(rest.dropFirst(bucket.count))
            guard !bucket.isEmpty else { throw BackupError.invalidValue(variable: "PDS_BACKUP_TARGET", value: target) }
            // The blobstore's S3 parsing, fed the backup's variables (each falling back to the blobstore's).
            var mapped: [String: String] = ["PDS_BLOBSTORE_S3_BUCKET": bucket]
            for name in ["ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "REGION", "ENDPOINT", "FORCE_PATH_STYLE"] {
                mapped["PDS_BLOBSTORE_S3_\(name)"] = value("PDS_BACKUP_S3_\(name)") ?? value("PDS_BLOBSTORE_S3_\(name)")
            }
            for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                "AWS_DEFAULT_REGION"]
            {
                mapped[name] = value(name)
            }
            do {
                guard case .s3(let configuration) = try BlobStoreConfiguration(environment: mapped).backend else {
                    throw BackupError.invalidValue(variable: "PDS_BACKUP_TARGET", value: target)
                }
                s3 = (configuration, prefix)
            } catch let error as BlobStoreConfiguration.Error {
                let variable: String
                switch error {
                case .missingRegion: variable = "PDS_BACKUP_S3_REGION"
                case .missingCredentials, .partialCredentials: variable = "PDS_BACKUP_S3_ACCESS_KEY_ID"
                case .invalidValue(let name): variable = name.replacingOccurrences(of: "BLOBSTORE", with: "BACKUP")
                default: variable = "PDS_BACKUP_TARGET"
                }
                throw BackupError.invalidValue(variable: variable, value: env[variable] ?? "(unset)")
            } catch {
                throw BackupError.invalidValue(variable: "PDS_BACKUP_TARGET", value: target)
            }
        }
    }

    /// The target; an S3 target uses `httpClient` (owned by the caller).
    package func makeTarget(httpClient: HTTPClient) throws -> any BackupTarget {
        guard let s3 else { return DirectoryBackupTarget(root: URL(fileURLWithPath: target, isDirectory: true)) }
        return S3BackupTarget(client: try S3Client(configuration: s3.configuration, httpClient: httpClient), prefix: s3.prefix)
    }

    /// Parses `4MB`, `512KB` (binary units) or plain bytes.
    package static func parseSize(_ raw: String) -> Int? {
        for (suffix, scale) in [("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30)] where raw.uppercased().hasSuffix(suffix) {
            guard let number = Double(raw.dropLast(suffix.count)), number >= 0 else { return nil }
            return Int((number * Double(scale)).rounded())
        }
        return Int(raw)
    }

    /// Parses `500ms`, `1s`, `5m`, `24h`, `7d` or plain seconds.
    package static func parseDuration(_ raw: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where raw.hasSuffix(suffix) {
            guard let number = Double(raw.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64((number * scale * 1000).rounded()))
        }
        guard let seconds = Double(raw), seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
