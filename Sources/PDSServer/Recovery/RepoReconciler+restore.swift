import ATCore
import ATRepo
import ActorStore
import Sequencer

extension RepoReconciler {
    /// Announces a repo restored from a backup, which may have gone back in time: a re-signed commit over the restored
    /// data with a fresh rev (above every rev the firehose announced before the restore, so relays take it as newer),
    /// then its `#sync`, and the repo-root mirror. Call it before the server accepts requests (`pds serve` after
    /// `pds backup restore`), after the sequencer was raised above the backup's high-water mark.
    /// - Parameters:
    ///   - did: the restored account.
    /// - Returns: whether the account had a repo to announce.
    @discardableResult
    package func announceRestored(_ did: DID) async throws -> Bool {
        let lastAnnounced = try sequencer.lastCommitRev(did: did)
        let resigned = try await actorStore.transact(did) { txn -> (cid: CID, rev: TID, block: [UInt8])? in
            guard let root = try txn.repo.root() else { return nil }
            let repo = try Repo.load(storage: txn.storage, cid: root.cid)
            let commit = try repo.formatResign(keypair: txn.keypair(), after: lastAnnounced)
            guard let block = commit.newBlocks[commit.cid] else { throw RepoError.missingBlock(commit.cid) }
            try txn.storage.applyCommit(commit)
            return (commit.cid, commit.rev, block)
        }
        guard let resigned else { return false }
        try await sequencer.sequenceSync(commitCID: resigned.cid, commitBlock: resigned.block)
        await updateMirror(did: did, cid: resigned.cid, rev: resigned.rev)
        return true
    }
}
