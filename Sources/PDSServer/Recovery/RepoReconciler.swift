import ATCore
import ATRepo
import ActorStore
import Logging
import Sequencer
import ServiceDB
import ServiceLifecycle
import Synchronization

/// Keeps the firehose in step with the repos when a durable commit lost its event (DESIGN §4; the write protocol in
/// `Sequencer`'s documentation).
///
/// Every path works inside the actor's write critical section (``ActorStore/transact(_:_:)``), so no commit lands
/// between reading the repo root and announcing it:
/// - at start-up, ``reconcileAll(concurrency:pageSize:)`` compares every active account's root with the sequencer
///   before the server accepts requests;
/// - before a write, ``reconcileIfPending(_:)`` reconciles an actor whose sequencing failed (``markPending(_:)``)
///   before `processWrites`, so its next `#commit` follows a `#sync` of the state that commit builds on;
/// - in the background, ``run()`` retries pending actors with backoff, so the `#sync` does not wait for the actor's
///   next write.
package final class RepoReconciler: Service, Sendable {
    /// What reconciling one repo did.
    package enum Outcome: Hashable, Sendable {
        /// The firehose already announced the root.
        case upToDate
        /// The root's events were missing: a `#sync` of it was sequenced.
        case synced
        /// The root was older than the last announced rev (a restored store): a re-signed commit over the same data
        /// was written, and its `#sync` is sequenced once that commit is durable.
        case resigned(cid: CID, rev: TID)
        /// Nothing was ever sequenced for this account: `#account`, `#identity` and a `#sync` of the root were (an
        /// account whose creation events were lost).
        case announced
        /// The actor has no repo yet.
        case noRepo
    }

    let actorStore: ActorStore
    let sequencer: Sequencer
    let serviceDB: ServiceDB
    let logger: Logger
    /// The shortest and longest waits between background retries (doubling while they fail).
    let retryDelays: ClosedRange<Duration>
    private let pending = Mutex<Set<DID>>([])
    private let wakeUps = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    /// A reconciler over the server's stores.
    /// - Parameters:
    ///   - actorStore: the per-actor stores.
    ///   - sequencer: the firehose log.
    ///   - serviceDB: the account database (the accounts to check, the repo-root mirror).
    ///   - retryDelays: the background retry backoff range.
    ///   - logger: where outcomes and failures go.
    package init(
        actorStore: ActorStore, sequencer: Sequencer, serviceDB: ServiceDB,
        retryDelays: ClosedRange<Duration> = .milliseconds(100) ... .seconds(30), logger: Logger
    ) {
        self.actorStore = actorStore
        self.sequencer = sequencer
        self.serviceDB = serviceDB
        self.retryDelays = retryDelays
        self.logger = logger
    }

    // MARK: - Pending actors

    /// Records that `did` has a durable commit whose event was not sequenced, and wakes the background retry.
    ///
    /// Call it from the actor's critical section (a `txn.afterCommit` callback), so the actor's next write sees it.
    /// - Parameters:
    ///   - did: the actor.
    package func markPending(_ did: DID) {
        pending.withLock { _ = $0.insert(did) }
        wakeUps.continuation.yield()
    }

    /// The actors waiting for a reconcile.
    package var pendingDIDs: Set<DID> { pending.withLock { $0 } }

    /// Reconciles the transaction's actor if it is pending; call it in the write transaction before
    /// `processWrites`.
    ///
    /// The actor stays pending unless this transaction commits: the mark is cleared by a commit callback registered
    /// before any other, so a later callback that fails (the `#sync` of a re-signed commit, the write's `#commit`)
    /// marks it again.
    /// - Parameters:
    ///   - txn: the actor's write transaction.
    /// - Returns: what was done, or `nil` when the actor was not pending.
    /// - Throws: sequencer and storage errors (the caller's transaction should roll back: the write waits for a
    ///   working sequencer rather than piling up more unannounced commits).
    @discardableResult
    package func reconcileIfPending(_ txn: ActorStoreTransactor) throws -> Outcome? {
        let did = txn.did
        guard pending.withLock({ $0.contains(did) }) || sequencer.isHeld(did) else { return nil }
        txn.afterCommit { [self] in pending.withLock { _ = $0.remove(did) } }
        return try reconcile(txn)
    }

    // MARK: - Reconciling one repo

    /// Brings the firehose up to the actor's repo root (see ``Outcome``); call it in the actor's write transaction.
    /// - Parameters:
    ///   - txn: the actor's write transaction.
    ///   - announcedRev: the rev the firehose last announced for the actor, when already read in bulk; when it equals
    ///     the root's rev nothing more is read. Otherwise the sequencer is asked.
    func reconcile(_ txn: ActorStoreTransactor, announcedRev: TID? = nil) throws -> Outcome {
        guard let root = try txn.repo.root() else { return .noRepo }
        if let announcedRev, announcedRev == root.rev { return .upToDate }
        guard let block = try txn.storage.getBytes(root.cid) else { throw RepoError.missingBlock(root.cid) }
        let (status, _) = try sequencer.reconcile(commitCID: root.cid, commitBlock: block)
        switch status {
        case .upToDate: return .upToDate
        case .missingEvents: return .synced
        case .repoBehind(let lastSequenced): return try resign(txn, root: root.cid, above: lastSequenced)
        }
    }

    /// Writes a re-signed commit over the root's data with a rev above `lastSequenced`, and sequences its `#sync` once
    /// the transaction commits (marking the actor pending again if that fails).
    private func resign(_ txn: ActorStoreTransactor, root: CID, above lastSequenced: TID) throws -> Outcome {
        let repo = try Repo.load(storage: txn.storage, cid: root)
        let commit = try repo.formatResign(keypair: txn.keypair(), after: lastSequenced)
        guard let block = commit.newBlocks[commit.cid] else { throw RepoError.missingBlock(commit.cid) }
        try txn.storage.applyCommit(commit)
        let did = txn.did
        logger.warning(
            "Repo is older than the firehose; re-signed it above the last announced rev",
            metadata: ["atproto.did": "\(did)", "repo.rev": "\(commit.rev)", "sequencer.rev": "\(lastSequenced)"])
        txn.afterCommit { [self] in
            do {
                try sequencer.reconcile(commitCID: commit.cid, commitBlock: block)
            } catch {
                logger.error(
                    "Sequencing the #sync of a re-signed commit failed; will retry",
                    metadata: ["atproto.did": "\(did)", "error": "\(error)"])
                markPending(did)
            }
        }
        return .resigned(cid: commit.cid, rev: commit.rev)
    }

    /// Reconciles a pending actor in its own critical section, then mirrors a re-signed root into `account.sqlite`.
    /// - Parameters:
    ///   - did: the actor.
    /// - Returns: what was done, or `nil` when it was not pending.
    @discardableResult
    package func reconcilePending(_ did: DID) async throws -> Outcome? {
        do {
            let outcome = try await actorStore.transact(did) { txn in try self.reconcileIfPending(txn) }
            if case .resigned(let cid, let rev) = outcome { await updateMirror(did: did, cid: cid, rev: rev) }
            return outcome
        } catch ActorStoreError.actorNotFound {
            // The account was deleted meanwhile: nothing left to announce.
            pending.withLock { _ = $0.remove(did) }
            return nil
        }
    }

    /// Updates the repo-root mirror; a failure is logged (the mirror is advisory).
    func updateMirror(did: DID, cid: CID, rev: TID) async {
        do {
            try await serviceDB.updateRepoRoot(did: did, cid: cid, rev: rev)
        } catch {
            logger.warning(
                "Updating the repo root mirror failed", metadata: ["atproto.did": "\(did)", "error": "\(error)"])
        }
    }

    // MARK: - Background retry

    /// Retries pending actors whenever one is marked, until graceful shutdown (which also cancels a retry round).
    package func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.wakeUps.stream { await self.retryPending() }
        }
    }

    /// Reconciles every pending actor, waiting between rounds with backoff while some fail; returns once none is
    /// pending, or on cancellation.
    package func retryPending() async {
        var delay = retryDelays.lowerBound
        while !Task.isCancelled {
            let dids = pendingDIDs
            if dids.isEmpty { return }
            var failures = 0
            for did in dids.sorted(by: { $0.rawValue < $1.rawValue }) {
                do {
                    if let outcome = try await reconcilePending(did) {
                        logger.info(
                            "Reconciled a repo after a sequencing failure",
                            metadata: ["atproto.did": "\(did)", "recovery.outcome": "\(outcome)"])
                    }
                } catch {
                    failures += 1
                    logger.warning(
                        "Reconciling a repo failed; will retry",
                        metadata: ["atproto.did": "\(did)", "error": "\(error)", "retry.delay": "\(delay)"])
                }
            }
            guard failures > 0 else { continue }
            do { try await Task.sleep(for: delay) } catch { return }
            delay = min(delay * 2, retryDelays.upperBound)
        }
    }
}
