import Configuration

extension PDSConfiguration {
    /// `com.atproto.repo.importRepo` settings.
    package struct RepoImport: Sendable {
        /// - `pds.acceptingRepoImports` → `PDS_ACCEPTING_REPO_IMPORTS` (default true)
        package var accepting: Bool
        /// - `pds.maxRepoImportSize` → `PDS_MAX_REPO_IMPORT_SIZE` in bytes (default `PDS_BLOB_UPLOAD_LIMIT`)
        package var maxSize: Int
    }

    /// Reads the import settings; invalid ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - uploadLimit: `PDS_BLOB_UPLOAD_LIMIT`, the size limit's default.
    ///   - problems: where problems are reported.
    static func readRepoImport(reader: ConfigReader, uploadLimit: Int, problems: inout [String]) -> RepoImport {
        var settings = RepoImport(accepting: true, maxSize: uploadLimit)
        if let raw = reader.string(forKey: "acceptingRepoImports") {
            if let value = bool(raw) {
                settings.accepting = value
            } else {
                problems.append("PDS_ACCEPTING_REPO_IMPORTS must be true or false, got '\(raw)'")
            }
        }
        if let raw = reader.string(forKey: "maxRepoImportSize") {
            if let value = Int(raw), value > 0 {
                settings.maxSize = value
            } else {
                problems.append("PDS_MAX_REPO_IMPORT_SIZE must be a positive integer, got '\(raw)'")
            }
        }
        return settings
    }
}
