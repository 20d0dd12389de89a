import Foundation
import PDSServer

/// The `PDS_*` variables every `pds` command reads its configuration from: the process environment, plus an env file
/// (`--env-file`, else `$PDS_ENV_FILE`) in the reference's `pds.env` format (``EnvironmentFile``).
///
/// Variables already set in the environment win over the file's, as docker compose's `environment:` wins over its
/// `env_file:`. Dev mode is decided here for every command alike: with no `PDS_HOSTNAME` and no
/// `PDS_DATA_DIRECTORY` (and no `PDS_DEV_MODE`), or with `--dev`, `PDS_DEV_MODE=true`.
enum ServerEnvironment {
    /// The env file could not be read or parsed.
    struct LoadError: Error, CustomStringConvertible {
        /// The file.
        var path: String
        /// Why.
        var cause: EnvironmentFile.ParseError

        var description: String {
            cause.line == 0 ? "env file \(path): \(cause.message)" : "env file \(path), \(cause)"
        }
    }

    /// The variables to configure from.
    /// - Parameters:
    ///   - envFile: `--env-file`, if given.
    ///   - dev: `--dev`.
    ///   - process: the process environment.
    /// - Throws: ``LoadError``.
    static func load(
        envFile: String?, dev: Bool = false, process: [String: String] = ProcessInfo.processInfo.environment
    ) throws(LoadError) -> [String: String] {
        var environment = process
        if let path = envFile ?? process["PDS_ENV_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                environment.merge(try EnvironmentFile.load(path: path)) { current, _ in current }
            } catch {
                throw LoadError(path: path, cause: error)
            }
        }
        let unconfigured = environment["PDS_HOSTNAME"] == nil && environment["PDS_DATA_DIRECTORY"] == nil
        if dev || (unconfigured && environment["PDS_DEV_MODE"] == nil) { environment["PDS_DEV_MODE"] = "true" }
        return environment
    }
}
