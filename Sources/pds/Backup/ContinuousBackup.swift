import ArgumentParser
import AsyncHTTPClient
import ActorStore
import Backup
import BlobStore
import Foundation
import Logging
import PDSServer
import Sequencer

/// The continuous backup of a running `pds serve`: a ``BackupService`` on its own task, with the HTTP client an S3
/// target needs; off unless `PDS_BACKUP_TARGET` is set.
final class ContinuousBackup: Sendable {
    private let task: Task<Void, Never>
    private let http: HTTPClient

    private init(task: Task<Void, Never>, http: HTTPClient) {
        self.task = task
        self.http = http
    }

    /// Starts the backup when the environment configures one.
    /// - Throws: `ValidationError` for a bad configuration, a wrong key or an unreachable target (the server does not
    ///   start without the backup it was asked for).
    static func start(environment: [String: String], services: PDSServices, logger: Logger) async throws
        -> ContinuousBackup?
    {
        guard BackupConfiguration.isEnabled(environment) else { return nil }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let configuration = try BackupConfiguration(environment: environment)
            let layout = BackupLayout(server: services.configuration)
            var backupLogger = logger
            backupLogger[metadataKey: "component"] = "backup"
            let shipper = try await BackupShipper(
                target: try configuration.makeTarget(httpClient: http), key: configuration.key, layout: layout,
                logger: backupLogger, walPolicy: configuration.walPolicy)
            let sequencer = services.sequencer
            let service = BackupService(
                shipper: shipper, changes: services.actorStore.changes, currentSeq: { try await sequencer.currentSeq() },
                configuration: configuration, logger: backupLogger)
            logger.info(
                "Continuous backup on",
                metadata: [
                    "backup.target": "\(shipper.target.description)", "backup.interval": "\(configuration.interval)",
                ])
            return ContinuousBackup(task: Task { await service.run() }, http: http)
        } catch {
            try? await http.shutdown()
            throw ValidationError("backup: \(error)")
        }
    }

    /// Ships a last round and stops.
    func stop() async {
        task.cancel()
        await task.value
        try? await http.shutdown()
    }
}

extension BackupLayout {
    /// The layout of the data directory `pds serve` runs on with `configuration`.
    init(server configuration: PDSConfiguration) {
        let storage = configuration.storage
        var blobs: URL?
        if case .disk(let locations)? = try? configuration.resolvingBlobstore().backend { blobs = locations.location }
        self.init(
            dataDirectory: URL(fileURLWithPath: storage.dataDirectory),
            serviceFiles: [
                "account.sqlite": URL(fileURLWithPath: storage.accountDBLocation),
                "sequencer.sqlite": URL(fileURLWithPath: storage.sequencerDBLocation),
                "did_cache.sqlite": URL(fileURLWithPath: storage.didCacheDBLocation),
            ],
            actorsDirectory: URL(fileURLWithPath: storage.actorStoreDirectory), blobsDirectory: blobs)
    }
}
