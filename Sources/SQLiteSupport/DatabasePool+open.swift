import Foundation
import GRDB

extension DatabasePool {
    /// Opens (or creates) a WAL database pool at `url` with the shared settings, creating missing parent directories.
    /// - Parameters:
    ///   - url: the database file.
    ///   - configuration: the shared SQLite settings.
    ///   - createDirectories: whether to `mkdir -p` the parent directory first.
    package static func open(
        at url: URL,
        configuration: SQLiteConfiguration,
        createDirectories: Bool = true
    ) throws -> DatabasePool {
        if createDirectories {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
        }
        return try DatabasePool(path: url.path, configuration: configuration.grdbConfiguration)
    }
}
