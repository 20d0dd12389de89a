import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PLCServer
import ServiceLifecycle
import UnixSignals

extension PDSCommand {
    /// `pds plc …`: the embedded PLC directory, its replica mode and plcbundle archives.
    struct PLC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plc",
            abstract: "The embedded did:plc directory: serve, replicate an upstream, and make plcbundle archives.",
            subcommands: [Serve.self, BundleCommand.self]
        )
    }
}

extension PDSCommand.PLC {
    /// `pds plc serve`: runs a PLC directory (or a replica of one) on its own port until SIGTERM or SIGINT.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a PLC directory backed by SQLite, or a validating replica of an upstream one.",
            discussion: """
                Validates operations like plc.directory (signatures, prev chain, 72-hour recovery, tombstones, \
                size limits) and serves /:did, /:did/data, /:did/log, /:did/log/audit, /:did/log/last, POST /:did, \
                /export and the WebSocket /export/stream?cursor=<seq>. Point a PDS at it with \
                PDS_DID_PLC_URL=http://<host>:<port>.

                With --replicate URL it is a read-only replica: it pages URL's /export, validates every operation \
                against its DID's history (invalid ones are recorded with the reason and never served), and \
                resumes after a restart where it stopped. Once caught up it follows URL's /export/stream when URL \
                offers one, and goes back to paging from its cursor on any gap; otherwise it polls /export every \
                --poll-interval seconds. A database replicates one upstream only. Extra routes: \
                GET /_replica/status (cursor, lag, ops/s, accepted and rejected counts) and \
                GET /_replica/rejected?after=<position>&limit=<n>. A progress line is logged every \
                --progress-interval seconds.

                With --bundles DIR it also serves a plcbundle archive (see `pds plc bundle`) at \
                GET /bundles/plc_bundles.json and GET /bundles/NNNNNN.jsonl.zst.
                """
        )

        @Option(name: .long, help: "The port to listen on.")
        var port: Int = 2582

        @Option(name: .long, help: "The address to bind.")
        var host: String = "127.0.0.1"

        @Option(name: .long, help: "The SQLite database file.")
        var database: String = "./data/plc.sqlite"

        @Option(name: .long, help: "Replicate this upstream directory (for example https://plc.directory).")
        var replicate: String?

        @Option(name: .long, help: "With --replicate: DIDs validated at once (default: the number of cores).")
        var workers: Int?

        @Option(name: .long, help: "With --replicate: operations asked for per /export page (1-1000).")
        var pageSize: Int = 1000

        @Option(name: .long, help: "With --replicate: seconds between progress lines in the log.")
        var progressInterval: Double = 10

        @Option(name: .long, help: "With --replicate: seconds between /export polls once caught up without a stream.")
        var pollInterval: Double = 1

        @Option(name: .long, help: "Serve the plcbundle archive in this directory under /bundles/.")
        var bundles: String?

        func run() async throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be a port number") }
            guard (1...1000).contains(pageSize) else { throw ValidationError("--page-size must be 1 to 1000") }
            if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
            guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
            var logger = Logger(label: "pds.plc")
            logger.logLevel =
                ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            let readOnly = replicate.map { "This directory is a read-only replica of \($0)" }
            let directory = try EmbeddedPLCDirectory(databasePath: database, readOnlyReason: readOnly)
            var replicator: PLCReplicator?
            if let replicate {
                guard let url = URL(string: replicate), url.scheme == "http" || url.scheme == "https", url.host != nil
                else { throw ValidationError("--replicate must be an http(s) URL") }
                var options = PLCReplicator.Options()
                if let workers { options.workers = workers }
                options.pageSize = pageSize
                options.progressInterval = progressInterval
                options.pollInterval = .milliseconds(Int64(pollInterval * 1000))
                do {
                    replicator = try await PLCReplicator(
                        store: directory.store, upstream: PLCUpstreamExport(baseURL: replicate), options: options,
                        logger: logger)
                } catch let error as PLCReplicator.StartError {
                    Stderr.write("error: \(error.description)\n")
                    throw ExitCode(1)
                }
            }
            let bundleDirectory = bundles.map { URL(fileURLWithPath: $0) }
            logger.info(
                "Starting PLC directory",
                metadata: [
                    "plc.address": "\(host):\(port)", "plc.database": "\(database)",
                    "plc.replicate": "\(replicate ?? "-")", "plc.bundles": "\(bundles ?? "-")",
                ])
            let application = directory.makeApplication(host: host, port: port, logger: logger) { router in
                if let replicator {
                    PLCReplicaRoutes.add(to: router, progress: replicator.progress, store: directory.store)
                }
                if let bundleDirectory { PLCBundleRoutes.add(to: router, directory: bundleDirectory) }
            }
            var services: [any Service] = [application]
            if let replicator { services.append(replicator) }
            let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
        }
    }
}
