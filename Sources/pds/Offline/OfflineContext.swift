import ArgumentParser
import ATCore
import Foundation
import Logging
import PDSServer
import ServiceDB

/// Options of the commands that work on the data directory with the server stopped.
struct OfflineOptions: ParsableArguments {
    @Option(name: .long, help: "Override PDS_DATA_DIRECTORY.")
    var dataDirectory: String?

    @Option(
        name: .long, help: "Read PDS_* variables from this file (pds.env format; default $PDS_ENV_FILE).",
        completion: .file())
    var envFile: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false
}

/// A data directory opened by an offline command: its lock (so no server runs on it meanwhile) and the server's
/// services built from the same configuration as `pds serve` (nothing listens).
struct OfflineContext {
    /// Held for as long as the command runs.
    let lock: DataDirectoryLock
    /// The databases, actor stores, PLC client and sequencer.
    let services: PDSServices

    /// Reads the configuration as `pds serve` does and takes the data directory's lock.
    /// - Throws: `ValidationError` naming the problem: the configuration, or a server running on the directory.
    static func open(_ options: OfflineOptions) throws -> OfflineContext {
        var environment: [String: String]
        do {
            environment = try ServerEnvironment.load(envFile: options.envFile)
        } catch {
            throw ValidationError(error.description)
        }
        if let dataDirectory = options.dataDirectory { environment["PDS_DATA_DIRECTORY"] = dataDirectory }
        var logger = Logger(label: "pds")
        logger.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        do {
            let configuration = try PDSConfiguration.fromEnvironment(environment)
            guard FileManager.default.fileExists(atPath: configuration.storage.accountDBLocation) else {
                throw ValidationError("no PDS data in \(configuration.storage.dataDirectory) (account.sqlite is missing)")
            }
            let lock = try DataDirectoryLock(directory: configuration.storage.dataDirectory)
            return OfflineContext(lock: lock, services: try PDSServices(configuration: configuration, logger: logger))
        } catch let error as PDSConfigurationError {
            throw ValidationError(error.description)
        } catch let failure as DataDirectoryLock.Failure {
            throw ValidationError(failure.description)
        }
    }

    /// The accounts named on the command line, or every account in creation order.
    /// - Throws: `ValidationError` for an argument that is not a DID or handle of an account here.
    func accounts(_ identifiers: [String]) async throws -> [(did: DID, handle: String?)] {
        if !identifiers.isEmpty {
            var found: [(DID, String?)] = []
            for identifier in identifiers {
                guard let account = try await services.serviceDB.account(atIdentifier: identifier) else {
                    throw ValidationError("no account \(identifier) on this server")
                }
                found.append((account.did, account.handle?.rawValue))
            }
            return found
        }
        var all: [(DID, String?)] = []
        var cursor: (createdAt: String, did: String)?
        while true {
            let page = try await services.serviceDB.listAccounts(after: cursor, limit: 500)
            all += page.map { ($0.account.did, $0.account.handle?.rawValue) }
            guard page.count == 500, let last = page.last?.account else { return all }
            cursor = (last.createdAt, last.did.rawValue)
        }
    }
}

/// Prints a JSON value (for `--json`).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
