import ArgumentParser
import CoreMetrics
import Foundation
import Hummingbird
import Logging
import PDSServer
import Prometheus
import SQLiteSupport
import Sequencer

extension PDSCommand {
    /// `pds serve`: runs the HTTP server until SIGTERM or SIGINT.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the server (the default command).",
            discussion: """
                Variables may also come from an env file in the reference's pds.env format (--env-file or \
                PDS_ENV_FILE); those set in the environment win.

                With no configuration at all (no PDS_HOSTNAME and no PDS_DATA_DIRECTORY), or with \
                PDS_DEV_MODE=true, the server runs in dev mode: data in ./data, on http://localhost:2583; \
                missing secrets are generated once and kept in <data>/dev-secrets.json, and without \
                PDS_DID_PLC_URL an embedded PLC directory runs in-process at <public URL>/plc, and blobs are \
                kept in <data>/blocks unless PDS_BLOBSTORE_* says otherwise. Outside dev mode PDS_JWT_SECRET, \
                PDS_ADMIN_PASSWORD, PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX and a blobstore \
                (PDS_BLOBSTORE_DISK_LOCATION or PDS_BLOBSTORE_S3_BUCKET) are required.

                Our extension (not in the reference PDS): blob uploads no record references are deleted once \
                older than PDS_BLOB_TEMP_GC_GRACE_MS (default 86400000, one day), swept every \
                PDS_BLOB_TEMP_GC_INTERVAL_MS (default 3600000; 0 disables the sweep).

                Before accepting requests, every active account's repo is compared with the firehose and a #sync \
                is emitted for any commit whose event was lost (a crash between the two). PDS_CRAWLERS \
                (comma-separated relay URLs) are asked to crawl this host (PDS_HOSTNAME) after new events, at most \
                once per 20 minutes.

                Logs (our extension): one line per event on standard output, logfmt by default or JSON lines with \
                LOG_FORMAT=json, at LOG_LEVEL (default info), each request's lines carrying its id (also in the \
                x-request-id response header), secrets redacted. Metrics (our extension): PDS_METRICS_ENABLED=true \
                serves Prometheus metrics at /metrics, on 127.0.0.1:PDS_METRICS_PORT instead of the main port when \
                set, behind Authorization: Bearer PDS_METRICS_TOKEN when set.

                Backups (our extension): with PDS_BACKUP_TARGET and PDS_BACKUP_ENCRYPTION_KEY set, every changed \
                actor store, signing key, service database and disk blob is shipped encrypted every \
                PDS_BACKUP_INTERVAL (default 500ms); see `pds backup --help`.
                """
        )

        @Option(name: .long, help: "Override PDS_PORT.")
        var port: Int?

        @Option(name: .long, help: "Override PDS_DATA_DIRECTORY.")
        var dataDirectory: String?

        @Flag(name: .long, help: "Force dev mode (PDS_DEV_MODE=true).")
        var dev = false

        @Option(
            name: .long, help: "Read PDS_* variables from this file (pds.env format; default $PDS_ENV_FILE).",
            completion: .file())
        var envFile: String?

        func run() async throws {
            FreedMemory.limitArenas()
            var environment: [String: String]
            do {
                environment = try ServerEnvironment.load(envFile: envFile, dev: dev)
            } catch {
                throw ValidationError(error.description)
            }
            if let port { environment["PDS_PORT"] = String(port) }
            if let dataDirectory { environment["PDS_DATA_DIRECTORY"] = dataDirectory }

            let logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            Self.bootstrapLogging(format: .init(environment: environment["LOG_FORMAT"]), level: logLevel)
            var logger = Logger(label: "pds")
            logger.logLevel = logLevel

            // Before the configuration: the connection cap's default is sized from the raised limit.
            FileDescriptorLimit.raise()
            let configuration: PDSConfiguration
            do {
                configuration = try PDSConfiguration.fromEnvironment(environment)
            } catch let error as PDSConfigurationError {
                throw ValidationError(error.description)
            }
            logger.info(
                "Starting PDS",
                metadata: [
                    "pds.url": "\(configuration.service.publicURL)",
                    "pds.dataDirectory": "\(configuration.storage.dataDirectory)",
                    "pds.devMode": "\(configuration.service.devMode)",
                ])
            let lock: DataDirectoryLock
            do {
                lock = try DataDirectoryLock(directory: configuration.storage.dataDirectory)
            } catch let failure as DataDirectoryLock.Failure {
                throw ValidationError(failure.description)
            }
            let services: PDSServices
            do {
                services = try PDSServices(
                    configuration: configuration, logger: logger, metrics: Self.bootstrapMetrics(configuration))
            } catch let error as PDSConfigurationError {
                throw ValidationError(error.description)
            }
            if services.embeddedPLC != nil {
                logger.info(
                    "Embedded PLC directory running in-process",
                    metadata: ["plc.url": "\(configuration.service.publicURL)\(PDSServices.embeddedPLCPath)"])
            }
            try await RestoreAnnouncer(services: services, logger: logger).applyIfRestored()
            let backup = try await ContinuousBackup.start(environment: environment, services: services, logger: logger)
            // Runs the start-up reconcile before accepting requests (DESIGN §4).
            let app = try await buildApplication(services: services, logger: logger)
            try await app.runService()
            await backup?.stop()
            withExtendedLifetime(lock) {}
        }

        /// Installs the structured log handler for every logger of the process (once, before any logger is made):
        /// `LOG_FORMAT` (logfmt or json), `LOG_LEVEL`, and the request id of the request being handled.
        static func bootstrapLogging(format: StructuredLogHandler.Format, level: Logger.Level) {
            LoggingSystem.bootstrap(
                { label, provider in
                    var handler = StructuredLogHandler(label: label, format: format, metadataProvider: provider)
                    handler.logLevel = level
                    return handler
                },
                metadataProvider: RequestLogContext.metadataProvider)
        }

        /// The server's metrics when `PDS_METRICS_ENABLED`, also installed as the process's metrics backend (so
        /// that libraries reporting through swift-metrics land in the same registry); `.disabled` otherwise.
        static func bootstrapMetrics(_ configuration: PDSConfiguration) -> PDSMetrics {
            guard configuration.metrics.enabled else { return .disabled }
            let metrics = PDSMetrics(registry: PrometheusCollectorRegistry())
            MetricsSystem.bootstrap(metrics.factory)
            return metrics
        }
    }
}
