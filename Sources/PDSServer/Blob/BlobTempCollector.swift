import CoreMetrics
import ATCore
import ActorStore
import BlobStore
import Foundation
import Logging
import ServiceDB
import ServiceLifecycle

/// Garbage-collects uploads no record claimed (our extension: the reference never does, so its disk only grows).
///
/// Every `interval` (`PDS_BLOB_TEMP_GC_INTERVAL_MS`) it sweeps each account's store:
/// 1. temporary `blob` rows older than the grace period (`PDS_BLOB_TEMP_GC_GRACE_MS`) that no record references
///    are deleted, then their temporary bytes, and the permanent copy an aborted record write may have made (unless
///    a row for the CID exists again);
/// 2. temporary uploads older than the grace period that no row holds (a crash between storing an upload and
///    recording it, or a re-upload of a blob already stored) are deleted.
///
/// The clock is injected, so tests move time by hand and call ``sweep()``.
package final class BlobTempCollector: Service, Sendable {
    /// What a sweep deleted.
    package struct Report: Sendable, Equatable {
        /// Accounts swept.
        package var actors = 0
        /// Expired temporary rows deleted (with their bytes).
        package var expiredUploads = 0
        /// Temporary uploads without a row deleted.
        package var orphanedUploads = 0
    }

    let actorStore: ActorStore
    let serviceDB: ServiceDB
    let blobstore: BlobStoreFactory
    let locks: BlobLocks
    let gracePeriod: Duration
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    let metrics: PDSMetrics

    /// A collector.
    /// - Parameters:
    ///   - actorStore: the actor stores.
    ///   - serviceDB: the account database (which accounts to sweep).
    ///   - blobstore: the blobstores.
    ///   - locks: the per-blob locks.
    ///   - gracePeriod: how old an unclaimed upload must be to be deleted.
    ///   - interval: the time between sweeps.
    ///   - now: the wall clock.
    ///   - logger: where sweeps are reported.
    ///   - metrics: counts sweeps and deletions (`pds_blob_gc_*`).
    package init(
        actorStore: ActorStore, serviceDB: ServiceDB, blobstore: BlobStoreFactory, locks: BlobLocks,
        gracePeriod: Duration, interval: Duration, now: @escaping @Sendable () -> Date, logger: Logger,
        metrics: PDSMetrics = .disabled
    ) {
        self.metrics = metrics
        self.actorStore = actorStore
        self.serviceDB = serviceDB
        self.blobstore = blobstore
        self.locks = locks
        self.gracePeriod = gracePeriod
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    /// Sweeps every `interval` until graceful shutdown (the first sweep after one interval, not at start-up).
    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: self.interval)
                    let report = await self.sweep()
                    if report.expiredUploads + report.orphanedUploads > 0 {
                        self.logger.info(
                            "Deleted unclaimed blob uploads",
                            metadata: [
                                "blob.gc.actors": "\(report.actors)", "blob.gc.expired": "\(report.expiredUploads)",
                                "blob.gc.orphaned": "\(report.orphanedUploads)",
                            ])
                    }
                }
            }
        } catch is CancellationError {
            return
        }
    }

    /// Sweeps every account once. Failures of one account are logged and do not stop the others.
    package func sweep() async -> Report {
        var report = Report()
        var cursor: (createdAt: String, did: String)?
        while !Task.isCancelled {
            let page: [(account: AccountRecord, head: String?, rev: String?)]
            do {
                page = try await serviceDB.listAccounts(after: cursor, limit: 100)
            } catch {
                logger.warning("Blob garbage collection could not list accounts", metadata: ["error": "\(error)"])
                break
            }
            guard let last = page.last?.account else { break }
            cursor = (last.createdAt, last.did.rawValue)
            for entry in page {
                do {
                    let (expired, orphaned) = try await sweep(entry.account.did)
                    report.actors += 1
                    report.expiredUploads += expired
                    report.orphanedUploads += orphaned
                } catch ActorStoreError.actorNotFound {
                    continue
                } catch {
                    logger.warning(
                        "Blob garbage collection failed for an account",
                        metadata: ["atproto.did": "\(entry.account.did)", "error": "\(error)"])
                }
            }
        }
        metrics.blobGCSweeps.increment()
        metrics.blobGCDeleted.increment(by: Int64(report.expiredUploads + report.orphanedUploads))
        return report
    }

    /// Sweeps one account.
    /// - Parameters:
    ///   - did: the account.
    /// - Returns: the expired rows and the orphaned uploads deleted.
    package func sweep(_ did: DID) async throws -> (expired: Int, orphaned: Int) {
        let cutoff = now().addingTimeInterval(-gracePeriod.timeInterval)
        let createdBefore = Datetime(cutoff).rawValue
        let blobs = ActorBlobs(did: did, actorStore: actorStore, store: blobstore(did), locks: locks)

        let expired = try await actorStore.transact(did) { txn in
            try txn.blob.deleteExpiredTempBlobs(createdBefore: createdBefore)
        }
        for row in expired { try await blobs.deleteExpired(row.cid, tempKey: row.tempKey) }

        let old = try await blobs.store.listTemp(olderThan: cutoff)
        guard !old.isEmpty else { return (expired.count, 0) }
        let keys = old.map(\.rawValue)
        let inUse = try await actorStore.read(did) { try $0.blob.tempKeysInUse(keys) }
        let orphaned = old.filter { !inUse.contains($0.rawValue) }
        for key in orphaned { try await blobs.store.deleteTemp(key) }
        return (expired.count, orphaned.count)
    }
}
