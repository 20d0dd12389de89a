import ArgumentParser
import AsyncHTTPClient
import Backup
import Foundation
import PDSServer

/// Options of every `pds backup` command.
struct BackupOptions: ParsableArguments {
    @Option(
        name: .long, help: "Read PDS_* variables from this file (pds.env format; default $PDS_ENV_FILE).",
        completion: .file())
    var envFile: String?

    @Option(name: .long, help: "Override PDS_BACKUP_TARGET (a directory, or s3://bucket/prefix).")
    var target: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false
}

/// The backup settings and target of a `pds backup` command, and the HTTP client an S3 target uses.
struct BackupContext {
    /// The variables (environment plus env file).
    let environment: [String: String]
    /// `PDS_BACKUP_*`.
    let configuration: BackupConfiguration
    /// The target.
    let target: any BackupTarget
    /// For an S3 target; shut down by ``run(_:_:)``.
    let http: HTTPClient

    /// Loads the context, runs `body`, shuts the client down, and reports a failure as one line on stderr with an
    /// exit code: 78 (configuration), 69 (target unreachable), 1 (wrong key, corrupted or missing object, anything
    /// else).
    static func run(_ options: BackupOptions, dataDirectory: String? = nil, _ body: (BackupContext) async throws -> Void)
        async throws
    {
        var environment: [String: String]
        do {
            environment = try ServerEnvironment.load(envFile: options.envFile)
        } catch {
            throw fail(.configuration(error.description))
        }
        if let target = options.target { environment["PDS_BACKUP_TARGET"] = target }
        if let dataDirectory { environment["PDS_DATA_DIRECTORY"] = dataDirectory }
        let configuration: BackupConfiguration
        do {
            configuration = try BackupConfiguration(environment: environment)
        } catch {
            throw fail(.configuration(error.description))
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var failure: AdminFailure?
        do {
            let target = try configuration.makeTarget(httpClient: http)
            try await body(
                BackupContext(environment: environment, configuration: configuration, target: target, http: http))
        } catch let error as BackupError {
            switch error {
            case .targetUnavailable: failure = .unreachable(url: configuration.target, reason: error.description)
            case .invalidKey, .missingKey, .missingTarget, .invalidValue: failure = .configuration(error.description)
            default: failure = .other(error.description)
            }
        } catch let error as AdminFailure {
            failure = error
        } catch let error as ExitCode {
            try? await http.shutdown()
            throw error
        } catch {
            failure = .other("\(error)")
        }
        try? await http.shutdown()
        if let failure { throw fail(failure) }
    }

    /// Prints `failure` and returns its exit code to throw.
    private static func fail(_ failure: AdminFailure) -> ExitCode {
        Stderr.write("error: \(failure.description)\n")
        return ExitCode(failure.exitCode)
    }

    /// The server's data directory layout, from the same configuration as `pds serve`.
    func serverLayout() throws -> BackupLayout {
        let configuration: PDSConfiguration
        do {
            configuration = try PDSConfiguration.fromEnvironment(environment)
        } catch let error as PDSConfigurationError {
            throw AdminFailure.configuration(error.description)
        }
        return BackupLayout(server: configuration)
    }
}

/// Parses `--at`: ISO 8601 (`2026-12-03T09:00:00Z`, fractional seconds allowed) or seconds since 1970; milliseconds.
func parseTime(_ text: String) -> Int64? {
    if let seconds = Double(text) { return Int64(seconds * 1000) }
    if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
        return Int64(date.timeIntervalSince1970 * 1000)
    }
    if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return Int64(date.timeIntervalSince1970 * 1000) }
    return nil
}

/// A time in milliseconds as ISO 8601.
func isoTime(_ milliseconds: Int64) -> String {
    Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(
        Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}
