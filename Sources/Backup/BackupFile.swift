import ATCore
import ActorStore
import Foundation

/// The logical names of the files a backup holds, independent of where a data directory keeps them:
///
/// - `account.sqlite`, `sequencer.sqlite`, `did_cache.sqlite`, `plc.sqlite` (the embedded PLC directory, dev mode)
///   and `dev-secrets.json` (dev mode);
/// - `actors/<did>/store.sqlite` and `actors/<did>/key` (the signing key);
/// - `blobs/<did>/<cid>` (the disk blobstore);
/// - `state/hwm`: the sequencer's high-water mark, the highest seq handed out, in decimal.
package enum BackupFile {
    /// The service databases, shipped by their WAL frames (``BackupShipper/shipDatabase(_:path:force:)``).
    package static let serviceDatabases = ["account.sqlite", "sequencer.sqlite", "did_cache.sqlite", "plc.sqlite"]
    /// Service files that are not databases.
    package static let serviceFiles = ["dev-secrets.json"]
    /// The databases shipped only every snapshot interval: the firehose log (what relays need from it after a restore
    /// is its high-water mark, shipped every tick) and the DID cache (a cache).
    package static let slowFiles: Set<String> = ["sequencer.sqlite", "did_cache.sqlite"]
    /// The sequencer's high-water mark.
    package static let highWaterMark = "state/hwm"

    /// An actor's store.
    package static func store(_ did: DID) -> String { "actors/\(did.rawValue)/store.sqlite" }
    /// An actor's signing key.
    package static func key(_ did: DID) -> String { "actors/\(did.rawValue)/key" }
    /// One of an actor's blobs.
    package static func blob(_ did: DID, _ name: String) -> String { "blobs/\(did.rawValue)/\(name)" }

    /// Whether a logical file is a SQLite database (shipped as generations of a copy and WAL segments, not as bytes).
    package static func isDatabase(_ file: String) -> Bool { file.hasSuffix(".sqlite") }

    /// The actor a logical file belongs to (`actors/<did>/…` or `blobs/<did>/…`), if any.
    package static func owner(of file: String) -> DID? {
        let parts = file.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "actors" || parts[0] == "blobs" else { return nil }
        return try? DID(parts[1])
    }
}

/// Where a data directory keeps each logical file (``BackupFile``).
package struct BackupLayout: Sendable {
    /// The data directory.
    package var dataDirectory: URL
    /// The service files by logical name.
    package var serviceFiles: [String: URL]
    /// The actors directory.
    package var actorsDirectory: URL
    /// The disk blobstore's permanent blob root, when blobs are on disk.
    package var blobsDirectory: URL?

    /// A layout.
    /// - Parameters:
    ///   - dataDirectory: the data directory; service files default to `<data>/<name>`.
    ///   - serviceFiles: overrides (for example `PDS_ACCOUNT_DB_LOCATION`).
    ///   - actorsDirectory: default `<data>/actors`.
    ///   - blobsDirectory: the disk blobstore location, `nil` when blobs are not on disk.
    package init(
        dataDirectory: URL, serviceFiles: [String: URL] = [:], actorsDirectory: URL? = nil, blobsDirectory: URL?
    ) {
        self.dataDirectory = dataDirectory
        var files: [String: URL] = [:]
        for name in BackupFile.serviceDatabases + BackupFile.serviceFiles {
            files[name] = serviceFiles[name] ?? dataDirectory.appendingPathComponent(name)
        }
        self.serviceFiles = files
        self.actorsDirectory = actorsDirectory ?? dataDirectory.appendingPathComponent("actors", isDirectory: true)
        self.blobsDirectory = blobsDirectory
    }

    /// Where `file` lives, or `nil` for a name this layout has no place for.
    package func path(of file: String) -> URL? {
        if let service = serviceFiles[file] { return service }
        let parts = file.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let did = try? DID(parts[1]), did.isSafePathComponent else { return nil }
        let name = String(parts[2])
        switch parts[0] {
        case "actors":
            let location = ActorLocation(did: did, actorsDirectory: actorsDirectory)
            switch name {
            case "store.sqlite": return location.database
            case "key": return location.key
            default: return nil
            }
        case "blobs":
            guard let blobsDirectory, !name.isEmpty, !name.hasPrefix("."), !name.contains("/") else { return nil }
            return blobsDirectory.appendingPathComponent(did.rawValue).appendingPathComponent(name)
        default:
            return nil
        }
    }

    /// Every actor with a directory under the actors directory (a scan: the one-shot backup and the server's first
    /// pass use it, the continuous backup does not).
    package func actors() -> [DID] {
        let manager = FileManager.default
        guard let shards = try? manager.contentsOfDirectory(atPath: actorsDirectory.path) else { return [] }
        var found: [DID] = []
        for shard in shards.sorted() where shard.count == 2 {
            let shardPath = actorsDirectory.appendingPathComponent(shard).path
            for name in (try? manager.contentsOfDirectory(atPath: shardPath)) ?? [] {
                if let did = try? DID(name) { found.append(did) }
            }
        }
        return found
    }

    /// The blob file names of `did` on disk (none when blobs are not on disk).
    package func blobNames(of did: DID) -> [String] {
        guard let blobsDirectory else { return [] }
        let path = blobsDirectory.appendingPathComponent(did.rawValue).path
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }
    }
}
