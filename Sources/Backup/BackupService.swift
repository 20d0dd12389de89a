import ATCore
import ActorStore
import Foundation
import Logging
import Synchronization

/// The continuous backup inside `pds serve` (DESIGN §7, our extension): every ``BackupConfiguration/interval`` it
/// ships the new WAL frames of the actors that changed since the last round, eight at a time (the actor store's
/// ``ActorChangeFeed`` names them: no scan), those of the fast service databases and the sequencer's high-water mark,
/// and checkpoints databases whose WAL stopped growing; every ``BackupConfiguration/snapshotInterval`` also the slow
/// service databases, and it prunes generations superseded before the retention.
///
/// At start it makes one pass over every actor (shipping only what changed since the newest version in the target).
/// An actor whose shipping fails stays dirty for the next round. When the data directory's `account.sqlite` is gone
/// (the disk was lost under the running server), files are no longer shipped — an empty or missing file must never
/// become the newest version — but the high-water mark still is, since the running sequencer keeps handing out seqs.
package final class BackupService: Sendable {
    let shipper: BackupShipper
    let currentSeq: @Sendable () async throws -> Int64
    let interval: Duration
    let snapshotInterval: Duration
    let retention: Duration
    let logger: Logger
    let dirty = Mutex<Set<DID>>([])

    /// A service.
    /// - Parameters:
    ///   - shipper: the opened target and data directory.
    ///   - changes: the actor store's change feed.
    ///   - currentSeq: the sequencer's highest seq handed out.
    ///   - configuration: intervals and retention.
    ///   - logger: where rounds and failures are logged.
    package init(
        shipper: BackupShipper, changes: ActorChangeFeed, currentSeq: @escaping @Sendable () async throws -> Int64,
        configuration: BackupConfiguration, logger: Logger
    ) {
        self.shipper = shipper
        self.currentSeq = currentSeq
        interval = configuration.interval
        snapshotInterval = configuration.snapshotInterval
        retention = configuration.retention
        self.logger = logger
        changes.observe { [self] did in dirty.withLock { _ = $0.insert(did) } }
    }

    /// Runs until cancelled, then ships one last round.
    package func run() async {
        do {
            let bytes = try await shipper.shipAll()
            logger.info("Backup first pass done", metadata: ["backup.bytes": "\(bytes)", "backup.target": "\(shipper.target.description)"])
        } catch {
            logger.error("Backup first pass failed; changed actors are shipped as they change", metadata: ["error": "\(error)"])
        }
        var lastSlow = ContinuousClock.now
        var next = ContinuousClock.now + interval
        while !Task.isCancelled {
            // Rounds start every interval; one that overran is followed by the next at once.
            do { try await Task.sleep(until: next) } catch { break }
            next = max(next + interval, .now)
            let slow = ContinuousClock.now - lastSlow >= snapshotInterval
            if slow { lastSlow = .now }
            await round(includeSlow: slow)
        }
        await round(includeSlow: false)
    }

    /// One round: the high-water mark, changed fast service files, dirty actors, and when `includeSlow` the slow
    /// service files and pruning.
    package func round(includeSlow: Bool) async {
        let started = BackupShipper.nowMilliseconds()
        do {
            try await shipper.shipHighWaterMark(try await currentSeq())
        } catch {
            logger.warning("Backup of the sequencer high-water mark failed", metadata: ["error": "\(error)"])
        }
        guard let account = shipper.layout.serviceFiles["account.sqlite"],
            FileManager.default.fileExists(atPath: account.path)
        else {
            logger.error(
                "The data directory is gone (account.sqlite missing): backups paused, restore with `pds backup restore`")
            return
        }
        let dids = dirty.withLock { current in
            defer { current.removeAll() }
            return current
        }
        do {
            try await shipper.shipServiceFiles(includeSlow: includeSlow)
        } catch {
            logger.warning("Backup of the service databases failed; will retry", metadata: ["error": "\(error)"])
        }
        await withTaskGroup(of: DID?.self) { group in
            var running = 0
            for did in dids {
                if running >= 8, let failed = await group.next() {
                    running -= 1
                    if let failed { dirty.withLock { _ = $0.insert(failed) } }
                }
                running += 1
                group.addTask {
                    do {
                        try await self.shipper.shipActor(did, changed: true)
                        return nil
                    } catch {
                        self.logger.warning(
                            "Backup of an actor failed; will retry", metadata: ["atproto.did": "\(did)", "error": "\(error)"])
                        return did
                    }
                }
            }
            for await failed in group {
                if let failed { dirty.withLock { _ = $0.insert(failed) } }
            }
        }
        do {
            try await shipper.checkpointIdle()
        } catch {
            logger.warning("Checkpointing an idle database failed; will retry", metadata: ["error": "\(error)"])
        }
        if includeSlow {
            let cutoff = BackupShipper.nowMilliseconds() - Int64(retention.components.seconds) * 1000
            do {
                let pruned = try await shipper.prune(before: cutoff)
                if pruned > 0 { logger.info("Pruned expired backup versions", metadata: ["backup.pruned": "\(pruned)"]) }
            } catch {
                logger.warning("Pruning expired backup versions failed", metadata: ["error": "\(error)"])
            }
        }
        let finished = BackupShipper.nowMilliseconds()
        logger.debug(
            "Backup round done",
            metadata: ["backup.actors": "\(dids.count)", "backup.durationMs": "\(finished - started)"])
        if finished - started > Int64(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000) {
            logger.warning(
                "A backup round took longer than PDS_BACKUP_INTERVAL: the recovery point lags",
                metadata: ["backup.actors": "\(dids.count)", "backup.durationMs": "\(finished - started)"])
        }
    }
}
