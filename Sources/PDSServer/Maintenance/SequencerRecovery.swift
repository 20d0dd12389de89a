import ActorStore
import ATCore
import ATRepo
import Sequencer
import ServiceDB

/// Rebuilds actor stores from the firehose log (`pds sequencer recover`, as the reference's sequencer-recovery
/// script): every `#commit` and `#sync` of an account in `sequencer.sqlite` carries the blocks its commit added, so
/// replaying them restores blocks an actor store lost or holds corrupted; the repo root then moves to the account's
/// newest announced commit and the record index is rebuilt from it.
///
/// Blocks are checked against their CIDs before they are stored, and a stored block with the same CID is overwritten
/// (that is how corrupted bytes are repaired). An account's root and index change only when its newest commit then
/// verifies with every record present, in one transaction; otherwise the account is reported and left as it was
/// (apart from the good blocks added). Accounts the log says were deleted are skipped, and so are accounts without an
/// actor store: their signing key went with it.
package struct SequencerRecovery: Sendable {
    /// The actor stores.
    let actorStore: ActorStore
    /// The firehose log.
    let sequencer: Sequencer
    /// Accounts (their `repo_root` mirror follows the recovered root).
    let serviceDB: ServiceDB

    /// Creates a recovery over a server's services.
    package init(services: PDSServices) {
        actorStore = services.actorStore
        sequencer = services.sequencer
        serviceDB = services.serviceDB
    }

    /// What happened to one account.
    package struct Outcome: Sendable, Encodable {
        /// The account.
        package var did: String
        /// The `#commit`/`#sync` events replayed.
        package var events: Int
        /// The blocks those events carried.
        package var blocks: Int
        /// The root's revision after recovery.
        package var rev: String?
        /// The records indexed.
        package var records: Int
        /// Why the account was not recovered, if it was not.
        package var problem: String?
    }

    /// Replays the log for `targets` (every account with events when empty), reporting progress per event page.
    /// - Parameters:
    ///   - targets: the accounts, or empty for all.
    ///   - progress: called with the seq reached and the log's head.
    package func recover(_ targets: Set<DID>, progress: (Int64, Int64) -> Void = { _, _ in }) async throws
        -> [Outcome]
    {
        let head = try await sequencer.currentSeq()
        var outcomes: [DID: Outcome] = [:]
        var latest: [DID: (cid: CID, rev: TID)] = [:]
        var deleted: Set<DID> = []
        var order: [DID] = []
        var cursor: Int64?
        while true {
            let page = try await sequencer.requestSeqRange(after: cursor, limit: 200, maxBytes: 8 << 20)
            for event in page.events where targets.isEmpty || targets.contains(event.did) {
                if event.type == .account, event.body["status"]?.string == "deleted" { deleted.insert(event.did) }
                guard event.type == .append || event.type == .sync else { continue }
                if outcomes[event.did] == nil {
                    order.append(event.did)
                    outcomes[event.did] = Outcome(
                        did: event.did.rawValue, events: 0, blocks: 0, rev: nil, records: 0, problem: nil)
                }
                guard outcomes[event.did]?.problem == nil else { continue }
                do {
                    let replayed = try await replay(event)
                    outcomes[event.did]?.events += 1
                    outcomes[event.did]?.blocks += replayed.blocks
                    latest[event.did] = (replayed.commit, replayed.rev)
                } catch {
                    outcomes[event.did]?.problem = "seq \(event.seq): \(error)"
                }
            }
            guard let through = page.through else { break }
            cursor = through
            progress(through, head)
        }
        var results: [Outcome] = []
        for did in order {
            guard var outcome = outcomes[did] else { continue }
            if deleted.contains(did) {
                outcome.problem = "deleted: skipped"
            } else if outcome.problem == nil, let root = latest[did] {
                do {
                    let summary = try await actorStore.transact(did) { txn in
                        let summary = try RecordIndexRebuilder.rebuild(txn, root: root)
                        try txn.storage.updateRoot(root.cid, rev: root.rev)
                        return summary
                    }
                    try await serviceDB.updateRepoRoot(did: did, cid: root.cid, rev: root.rev)
                    outcome.rev = root.rev.rawValue
                    outcome.records = summary.records
                } catch {
                    outcome.problem = "the newest commit does not verify: \(error)"
                }
            }
            results.append(outcome)
        }
        return results
    }

    /// Stores one event's blocks (hashes checked) and returns its commit.
    private func replay(_ event: SequencedEvent) async throws -> (commit: CID, rev: TID, blocks: Int) {
        guard await actorStore.exists(event.did) else { throw ActorStoreError.actorNotFound(event.did) }
        let body = event.body
        guard let car = body["blocks"]?.bytes, let revText = body["rev"]?.string else {
            throw RepoError.invalidCommit("the event has no blocks or rev")
        }
        let rev = try TID(revText)
        let (roots, carBlocks) = try CARReader.read(car)
        guard let commit = event.type == .append ? body["commit"]?.link : roots.first else {
            throw RepoError.invalidCommit("the event names no commit")
        }
        var blocks = BlockMap()
        for block in carBlocks {
            guard (try? CID(codec: block.cid.codec, sha256Digest: sha256(block.bytes))) == block.cid else {
                throw RepoError.invalidCAR("block \(block.cid) does not match its hash")
            }
            blocks.set(block.cid, block.bytes)
        }
        let checked = blocks
        try await actorStore.transact(event.did) { txn in try txn.storage.restoreMany(checked, rev: rev) }
        return (commit, rev, checked.count)
    }
}
