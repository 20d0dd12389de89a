import ATCore
import ActorStore
import BlobStore
import Foundation
import Logging
import NIOCore
import Sequencer
import ServiceDB

/// Puts one account's files, restored from a backup by `pds backup restore --did` into a staging directory inside the
/// data directory, in place of the live ones while the server runs (our extension; DESIGN §7), leaving every other
/// account untouched:
///
/// 1. checks the staged files (a store whose repo belongs to the account, a signing key) and that `account.sqlite`
///    has the account (a deleted account is not brought back this way: restore a whole data directory);
/// 2. copies the staged blobs the blobstore lacks (blobs are content-addressed, so this changes nothing live);
/// 3. takes the actor offline (``ActorStore/withActorOffline(_:_:)``: its requests wait, its store is closed, its key
///    forgotten), moves its store (with its `-wal`/`-shm`) and key aside, renames the restored ones in, deletes the
///    blobs only the replaced store referenced (if moving fails, the previous files are put back);
/// 4. still offline, so the account's waiting writes come after it, reconciles it on a connection of its own
///    (``ActorStore/transactOffline(_:_:)``): the restored repo went back in time, so it is re-signed with a rev above
///    every rev the firehose announced and its `#sync` is sequenced (seqs continue above the live head); then
///    `#identity` and `#account` (the account's current status), and the repo-root mirror in `account.sqlite`. If
///    announcing fails the actor stays marked for the reconciler (``RepoReconciler/markPending(_:)``), whose write
///    path and background retry announce it before its next `#commit`;
/// 5. brings the actor back online and removes the staging directory.
package struct LiveAccountRestore: Sendable {
    /// The per-actor stores.
    let actorStore: ActorStore
    /// The account database (the account must be there; the repo-root mirror).
    let serviceDB: ServiceDB
    /// The firehose (`#identity`, `#account`).
    let sequencer: Sequencer
    /// Announces the restored repo (re-sign and `#sync`).
    let reconciler: RepoReconciler
    /// The blobstore.
    let blobstore: BlobStoreFactory
    /// The data directory (staging directories are under `<data>/tmp/restore/`).
    let dataDirectory: URL
    /// Where the steps are logged.
    let logger: Logger

    /// A restorer over the server's stores.
    package init(
        actorStore: ActorStore, serviceDB: ServiceDB, sequencer: Sequencer, reconciler: RepoReconciler,
        blobstore: BlobStoreFactory, dataDirectory: URL, logger: Logger
    ) {
        self.actorStore = actorStore
        self.serviceDB = serviceDB
        self.sequencer = sequencer
        self.reconciler = reconciler
        self.blobstore = blobstore
        self.dataDirectory = dataDirectory
        self.logger = logger
    }

    /// Why a live restore was refused or failed; nothing live changed unless said.
    package enum Failure: Error, Equatable, CustomStringConvertible {
        /// The staging name is not one `pds backup restore` makes.
        case invalidStagingName(String)
        /// No staging directory of that name, or it lacks the account's store or key.
        case nothingStaged(did: DID, path: String, missing: String)
        /// `account.sqlite` has no such account.
        case unknownAccount(DID)
        /// The staged store is unreadable or holds another account's repo, or the staged key is unusable.
        case invalidStagedFiles(did: DID, reason: String)
        /// Moving files failed; the previous files were put back.
        case swapFailed(did: DID, cause: String)
        /// The files were replaced but announcing the repo failed; the reconciler retries it.
        case announceFailed(did: DID, cause: String)

        package var description: String {
            switch self {
            case .invalidStagingName(let name):
                return "invalid staging name '\(name)' (letters, digits and '-', at most 64)"
            case .nothingStaged(let did, let path, let missing):
                return "nothing staged for \(did) in \(path) (no \(missing)): is --to the running server's data "
                    + "directory?"
            case .unknownAccount(let did):
                return "account.sqlite has no account \(did): a one-account restore only puts back an existing "
                    + "account; restore the whole data directory to bring back a deleted one"
            case .invalidStagedFiles(let did, let reason):
                return "the restored files of \(did) are not usable: \(reason)"
            case .swapFailed(let did, let cause):
                return "replacing the files of \(did) failed (the previous files were put back): \(cause)"
            case .announceFailed(let did, let cause):
                return "the files of \(did) were replaced, but announcing its repo failed (the server retries it "
                    + "before the account's next write): \(cause)"
            }
        }
    }

    /// What a live restore did.
    package struct Summary: Sendable, Codable, Equatable {
        /// The account.
        package var did: String
        /// The rev of the restored repo (as it was at the restored point in time).
        package var restoredRev: String?
        /// The rev of the re-signed commit announced by `#sync`, when this restore announced it (`nil` when the
        /// repo was already what the firehose announced, or a write waiting for the account announced it first).
        package var announcedRev: String?
        /// The seq of the `#sync`, when this restore sequenced it.
        package var syncSeq: Int?
        /// Blobs copied into the blobstore.
        package var blobsRestored: Int
        /// Blobs deleted because only the replaced store referenced them.
        package var blobsRemoved: Int
    }

    /// The XRPC method that runs it (our extension, admin Basic auth): input `{did, staging}`, output ``Summary``.
    package static let method = "dev.swiftpds.backup.restoreAccount"

    /// The staging directories' parent, `<data>/tmp/restore`.
    package static func stagingRoot(dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent("tmp", isDirectory: true)
            .appendingPathComponent("restore", isDirectory: true)
    }

    /// Whether `name` is a valid staging directory name (letters, digits, `-`; 1 to 64 characters).
    package static func isValidStagingName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
    }

    /// The staged actors directory of a staging directory (`<staging>/actors`, sharded as the live one).
    package static func stagedActors(_ staging: URL) -> URL {
        staging.appendingPathComponent("actors", isDirectory: true)
    }

    /// The staged blobs directory of a staging directory (`<staging>/blobs/<did>/<cid>`).
    package static func stagedBlobs(_ staging: URL) -> URL {
        staging.appendingPathComponent("blobs", isDirectory: true)
    }

    /// Restores `did` from the staging directory `name` (see the type's documentation).
    /// - Parameters:
    ///   - did: the account (validated before any path is built).
    ///   - name: the staging directory's name under ``stagingRoot(dataDirectory:)``.
    /// - Returns: what was done.
    /// - Throws: ``Failure``; storage and sequencer errors.
    package func restore(_ did: DID, staged name: String) async throws -> Summary {
        guard Self.isValidStagingName(name), did.isSafePathComponent else { throw Failure.invalidStagingName(name) }
        let staging = Self.stagingRoot(dataDirectory: dataDirectory).appendingPathComponent(name, isDirectory: true)
        let restored = ActorLocation(did: did, actorsDirectory: Self.stagedActors(staging))
        for (file, label) in [(restored.database, "store.sqlite"), (restored.key, "key")] {
            guard try await offload({ FileManager.default.fileExists(atPath: file.path) }) else {
                throw Failure.nothingStaged(did: did, path: staging.path, missing: label)
            }
        }
        guard let account = try await serviceDB.account(did: did) else { throw Failure.unknownAccount(did) }
        let summary: ActorStore.StoreFileSummary
        do {
            summary = try await ActorStore.summarizeStoreFile(at: restored.database)
            _ = try await ActorStore.readKeyFile(at: restored.key, did: did)
        } catch {
            throw Failure.invalidStagedFiles(did: did, reason: "\(error)")
        }
        guard let restoredRev = summary.rootRev else {
            throw Failure.invalidStagedFiles(did: did, reason: "the store has no repo")
        }
        if let owner = summary.repoDID, owner != did.rawValue {
            throw Failure.invalidStagedFiles(did: did, reason: "the store holds the repo of \(owner)")
        }
        let blobsRestored = try await copyBlobs(of: did, from: Self.stagedBlobs(staging))
        let live = actorStore.location(of: did)
        let previous = staging.appendingPathComponent("previous", isDirectory: true)
        var output = Summary(
            did: did.rawValue, restoredRev: restoredRev, announcedRev: nil, syncSeq: nil, blobsRestored: blobsRestored,
            blobsRemoved: 0)
        output = try await actorStore.withActorOffline(did) { [output] () async throws -> Summary in
            var output = output
            let replaced = try? await ActorStore.summarizeStoreFile(at: live.database)
            try await offload { try StoreFileSwap(did: did, live: live, previous: previous).replace(with: restored) }
            let removed = (replaced?.blobs ?? []).subtracting(summary.blobs).compactMap { try? CID($0) }
            if !removed.isEmpty {
                do {
                    try await blobstore(did).deleteMany(removed)
                    output.blobsRemoved = removed.count
                } catch {
                    logger.warning(
                        "Deleting the blobs only the replaced store referenced failed; they stay as orphans",
                        metadata: ["atproto.did": "\(did)", "error": "\(error)"])
                }
            }
            try await announce(did, account: account, into: &output)
            return output
        }
        try? await offload { try FileManager.default.removeItem(at: staging) }
        logger.notice(
            "Restored one account into the running server",
            metadata: [
                "atproto.did": "\(did)", "backup.restoredRev": "\(restoredRev)",
                "backup.announcedRev": "\(output.announcedRev ?? "-")", "backup.blobsRestored": "\(blobsRestored)",
                "backup.blobsRemoved": "\(output.blobsRemoved)",
            ])
        return output
    }

    /// Announces the replaced repo while the actor is still offline, so its waiting writes come after: the reconcile
    /// (a re-signed commit above the last announced rev and its `#sync`, or a `#sync` of a root newer than the
    /// firehose), then `#identity` and `#account`, and the repo-root mirror. When it fails, the actor is marked for
    /// the reconciler (its next write, or the background retry, announces it) and the error is thrown.
    private func announce(_ did: DID, account: AccountRecord, into output: inout Summary) async throws {
        do {
            // Marked first: the mark is cleared only once the reconcile's transaction and its #sync succeed.
            let reconciler = self.reconciler
            reconciler.markPending(did)
            let outcome = try await actorStore.transactOffline(did) { txn in
                (try reconciler.reconcileIfPending(txn), try txn.repo.root())
            }
            if reconciler.pendingDIDs.contains(did) { throw Failure.announceFailed(did: did, cause: "see the log") }
            switch outcome.0 {
            case .resigned(_, let rev): output.announcedRev = rev.rawValue
            case .synced, .announced: output.announcedRev = outcome.1?.rev.rawValue
            case .upToDate, .noRepo, nil: break
            }
            if let event = try sequencer.lastEvent(for: did), event.type == .sync,
                event.body["rev"]?.string == output.announcedRev
            {
                output.syncSeq = Int(event.seq)
            }
            try await sequencer.sequenceIdentity(did: did, handle: account.handle)
            let status = account.status
            try await sequencer.sequenceAccountStatus(
                did: did, active: status == .active,
                status: status == .active ? nil : AccountEvent.Status(rawValue: status.rawValue))
            if let root = outcome.1 { await reconciler.updateMirror(did: did, cid: root.cid, rev: root.rev) }
        } catch {
            reconciler.markPending(did)
            if let failure = error as? Failure { throw failure }
            throw Failure.announceFailed(did: did, cause: "\(error)")
        }
    }

    /// Copies the staged blobs of `did` that the blobstore lacks; returns how many.
    private func copyBlobs(of did: DID, from stagedBlobs: URL) async throws -> Int {
        let directory = stagedBlobs.appendingPathComponent(did.rawValue, isDirectory: true)
        let names = try await offload {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
        }
        let store = blobstore(did)
        var copied = 0
        for name in names.sorted() {
            guard let cid = try? CID(name) else { continue }
            if try await store.hasStored(cid) { continue }
            let file = directory.appendingPathComponent(name)
            let bytes = try await offload { try Data(contentsOf: file) }
            try await store.putPermanent(cid: cid, bytes: ByteBuffer(bytes: bytes))
            copied += 1
        }
        return copied
    }

    /// Runs blocking file work on the bounded offload pool.
    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingPool.shared.run(work)
    }
}
