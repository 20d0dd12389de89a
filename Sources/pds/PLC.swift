import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PLCServer

extension PDSCommand {
    /// `pds plc …`: the embedded PLC directory.
    struct PLC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plc",
            abstract: "The embedded did:plc directory, for local development and tests.",
            subcommands: [Serve.self]
        )
    }
}

extension PDSCommand.PLC {
    /// `pds plc serve`: runs a PLC directory on its own port until SIGTERM or SIGINT.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a PLC directory backed by SQLite.",
            discussion: """
                Validates operations like plc.directory (signatures, prev chain, 72-hour recovery, tombstones, \
                size limits) and serves /:did, /:did/data, /:did/log, /:did/log/audit, /:did/log/last, POST /:did \
                and /export. Point a PDS at it with PDS_DID_PLC_URL=http://<host>:<port>.
                """
        )

        @Option(name: .long, help: "The port to listen on.")
        var port: Int = 2582

        @Option(name: .long, help: "The address to bind.")
        var host: String = "127.0.0.1"

        @Option(name: .long, help: "The SQLite database file.")
        var database: String = "./data/plc.sqlite"

        func run() async throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be a port number") }
            var logger = Logger(label: "pds.plc")
            logger.logLevel =
                ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            let directory = try EmbeddedPLCDirectory(databasePath: database)
            logger.info(
                "Starting PLC directory", metadata: ["plc.address": "\(host):\(port)", "plc.database": "\(database)"])
            try await directory.makeApplication(host: host, port: port, logger: logger).runService()
        }
    }
}
