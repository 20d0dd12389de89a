import ATCore
import ActorStore
import Backup
import Foundation
import Logging
import PDSServer
import Sequencer
import ServiceDB

/// Makes a restored data directory acceptable to relays, at the first `pds serve` after `pds backup restore`: raises
/// the sequencer above the backup's high-water mark (again: the restore already did it in `sequencer.sqlite`, and a
/// restore without one leaves it to this step), sequences a `#sync` of the restored root of every restored account
/// (repos may have gone back in time, relays must reset them), then removes the marker. Runs before the start-up
/// reconcile and before any request is accepted.
struct RestoreAnnouncer {
    /// The server's services.
    let services: PDSServices
    /// Where the outcome is logged.
    let logger: Logger

    /// Applies `<data>/backup-restore.json` if there is one.
    func applyIfRestored() async throws {
        let dataDirectory = URL(fileURLWithPath: services.configuration.storage.dataDirectory)
        guard let marker = try BackupRestoreMarker.read(in: dataDirectory) else { return }
        try services.sequencer.ensureSeqAtLeast(marker.seqAtLeast)
        var dids: [DID] = []
        if let listed = marker.dids {
            dids = listed.compactMap { try? DID($0) }
        } else {
            var cursor: (createdAt: String, did: String)?
            while true {
                let page = try await services.serviceDB.listAccounts(after: cursor, limit: 500)
                dids += page.filter { $0.account.deactivatedAt == nil }.map(\.account.did)
                guard page.count == 500, let last = page.last?.account else { break }
                cursor = (last.createdAt, last.did.rawValue)
            }
        }
        var synced = 0
        for did in dids where await services.actorStore.exists(did) {
            if try await services.reconciler.announceRestored(did) { synced += 1 }
        }
        try BackupRestoreMarker.remove(in: dataDirectory)
        logger.info(
            "Restored from a backup: announced every restored repo",
            metadata: ["backup.seqAtLeast": "\(marker.seqAtLeast)", "backup.synced": "\(synced)"])
    }
}
