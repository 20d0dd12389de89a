import ATCore
import ActorStore
import Foundation
import Logging
import Sequencer
import ServiceDB

extension RepoReconciler {
    /// What the start-up reconcile found.
    package struct Summary: Sendable, Equatable, CustomStringConvertible {
        /// Accounts compared with the sequencer (deactivated ones are skipped: activation announces their root).
        package var checked = 0
        /// `#sync` events emitted for durable commits whose events were lost.
        package var synced = 0
        /// Repos older than the firehose that got a re-signed commit (and a `#sync`).
        package var resigned = 0
        /// Accounts with no event at all that were announced (`#account`, `#identity`, `#sync`).
        package var announced = 0
        /// Accounts without a repo.
        package var noRepo = 0
        /// Repo-root mirrors in `account.sqlite` brought up to date.
        package var mirrorsUpdated = 0
        /// Accounts that could not be reconciled (left to the background retry).
        package var failed = 0
        /// How long it took.
        package var duration: Duration = .zero

        package var description: String {
            "checked=\(checked) synced=\(synced) resigned=\(resigned) announced=\(announced) noRepo=\(noRepo) "
                + "mirrorsUpdated=\(mirrorsUpdated) failed=\(failed) duration=\(duration)"
        }

        mutating func count(_ outcome: Outcome) {
            switch outcome {
            case .upToDate: break
            case .synced: synced += 1
            case .resigned: resigned += 1
            case .announced: announced += 1
            case .noRepo: noRepo += 1
            }
        }
    }

    /// Compares every active account's repo root with the sequencer and emits what is missing (see ``Outcome``);
    /// run it before the server accepts requests.
    ///
    /// The last announced rev of every account is read in one query, accounts are listed in pages, and up to
    /// `concurrency` actors are checked at once, each in its write critical section. An account that fails is
    /// logged and left to the background retry (``markPending(_:)``); the summary is logged at `info`.
    /// - Parameters:
    ///   - concurrency: actors checked at once.
    ///   - pageSize: accounts listed per `account.sqlite` query.
    /// - Returns: the counts.
    /// - Throws: when the sequencer or the account list cannot be read at all.
    @discardableResult
    package func reconcileAll(concurrency: Int = 8, pageSize: Int = 1000) async throws -> Summary {
        let start = ContinuousClock.now
        let announced = try sequencer.lastCommitRevs()
        var summary = Summary()
        var cursor: (createdAt: String, did: String)?
        try await withThrowingTaskGroup(of: (Outcome, mirrorUpdated: Bool)?.self) { group in
            var running = 0
            func collect(_ result: (Outcome, mirrorUpdated: Bool)??) {
                running -= 1
                guard let result = result ?? nil else {
                    summary.failed += 1
                    return
                }
                summary.count(result.0)
                if result.mirrorUpdated { summary.mirrorsUpdated += 1 }
            }
            while true {
                let page = try await serviceDB.listAccounts(after: cursor, limit: pageSize)
                for (account, _, mirrorRev) in page where account.deactivatedAt == nil {
                    if running >= max(1, concurrency) { collect(try await group.next()) }
                    summary.checked += 1
                    running += 1
                    group.addTask {
                        await self.reconcileAtStartup(
                            account, announcedRev: announced[account.did], mirrorRev: mirrorRev)
                    }
                }
                guard page.count == pageSize, let last = page.last else { break }
                cursor = (last.account.createdAt, last.account.did.rawValue)
            }
            while running > 0 { collect(try await group.next()) }
        }
        summary.duration = ContinuousClock.now - start
        logger.info(
            "Start-up reconcile done",
            metadata: [
                "recovery.checked": "\(summary.checked)", "recovery.synced": "\(summary.synced)",
                "recovery.resigned": "\(summary.resigned)", "recovery.announced": "\(summary.announced)",
                "recovery.noRepo": "\(summary.noRepo)", "recovery.mirrorsUpdated": "\(summary.mirrorsUpdated)",
                "recovery.failed": "\(summary.failed)", "recovery.duration": "\(summary.duration)",
            ])
        return summary
    }

    /// One account at start-up: announce it when nothing was ever sequenced for it, else reconcile; then bring the
    /// repo-root mirror up to date. Returns `nil` (logged, marked pending) on failure.
    private func reconcileAtStartup(
        _ account: AccountRecord, announcedRev: TID?, mirrorRev: String?
    ) async -> (Outcome, mirrorUpdated: Bool)? {
        let did = account.did
        do {
            let (outcome, root) = try await actorStore.transact(did) { txn -> (Outcome, (cid: CID, rev: TID)?) in
                if announcedRev == nil, let outcome = try self.announceIfNeverSequenced(txn, handle: account.handle) {
                    return (outcome, try txn.repo.root())
                }
                let outcome = try self.reconcile(txn, announcedRev: announcedRev)
                return (outcome, try txn.repo.root())
            }
            guard let root, root.rev.rawValue != mirrorRev else { return (outcome, false) }
            await updateMirror(did: did, cid: root.cid, rev: root.rev)
            return (outcome, true)
        } catch {
            logger.error(
                "Start-up reconcile of a repo failed; will retry in the background",
                metadata: ["atproto.did": "\(did)", "error": "\(error)"])
            markPending(did)
            return nil
        }
    }

    /// When the account has a repo but no event at all (its creation events were lost), sequences what activation
    /// does: `#account {active}`, `#identity {handle}` and a `#sync` of the root.
    private func announceIfNeverSequenced(_ txn: ActorStoreTransactor, handle: Handle?) throws -> Outcome? {
        guard let root = try txn.repo.root(), try sequencer.lastEvent(for: txn.did) == nil,
            let block = try txn.storage.getBytes(root.cid)
        else { return nil }
        _ = try sequencer.enqueueAccountActivation(
            did: txn.did, handle: handle, commitCID: root.cid, commitBlock: block
        ).wait()
        return .announced
    }
}
