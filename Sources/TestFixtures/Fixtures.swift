import Foundation

/// Locates and reads the atproto interop fixtures in `../shared/interop` (beside the repository) at test time.
///
/// The directory can be overridden with `ATPROTO_INTEROP_DIR`.
package enum Fixtures {
    /// The repository's root directory, derived from this source file's location.
    package static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestFixtures
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // repository root

    /// The interop fixtures directory.
    package static var interopDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["ATPROTO_INTEROP_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/interop")
    }

    /// The official lexicon JSON directory (`../shared/lexicons`).
    package static var lexiconDirectory: URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/lexicons")
    }

    /// The raw bytes of a fixture file, by its path relative to the interop directory.
    package static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: interopDirectory.appendingPathComponent(relativePath))
    }

    /// The meaningful lines of a text fixture: trimmed of nothing but the newline, skipping blank lines and `#` comments.
    package static func lines(_ relativePath: String) throws -> [String] {
        let text = String(decoding: try data(relativePath), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// A JSON fixture decoded into `T`.
    package static func json<T: Decodable>(_ relativePath: String, as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: data(relativePath))
    }
}
