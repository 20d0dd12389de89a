import ATCore
import ATRepo

/// How an actor's repo root compares with what the firehose last announced for it.
package enum RecoveryStatus: Hashable, Sendable {
    /// The newest `#commit`/`#sync` has the root's rev: nothing to do.
    case upToDate
    /// The root is newer than anything sequenced (or nothing was): a durable commit lost its event. Emit `#sync`.
    case missingEvents(lastSequenced: TID?)
    /// The root is older than the last announced rev: the actor store went back in time (restored from an older
    /// backup). A `#sync` at an older rev would be ignored by relays; the server must first write a new commit over
    /// the same data with a rev above `lastSequenced` (`Repo.formatResign`), then reconcile again.
    case repoBehind(lastSequenced: TID)
}

extension Sequencer {
    /// Compares an actor's repo root with the firehose (see the write protocol in the type's documentation).
    /// - Parameters:
    ///   - did: the account.
    ///   - rootRev: the rev of its current repo root.
    package func recoveryStatus(did: DID, rootRev: TID) throws -> RecoveryStatus {
        Self.recoveryStatus(rootRev: rootRev, lastSequenced: try lastCommitRev(did: did))
    }

    /// The comparison itself, for callers that read ``lastCommitRevs()`` in bulk.
    /// - Parameters:
    ///   - rootRev: the repo root's rev.
    ///   - lastSequenced: the rev of the newest `#commit`/`#sync`, if any.
    package static func recoveryStatus(rootRev: TID, lastSequenced: TID?) -> RecoveryStatus {
        guard let lastSequenced else { return .missingEvents(lastSequenced: nil) }
        if rootRev == lastSequenced { return .upToDate }
        return rootRev > lastSequenced
            ? .missingEvents(lastSequenced: lastSequenced) : .repoBehind(lastSequenced: lastSequenced)
    }

    /// Brings the firehose up to an actor's repo root: emits `#sync` of the root when its events are missing.
    ///
    /// Call in the actor's write critical section (so no commit lands in between), at start-up for every active
    /// account and before the next write of an actor whose sequencing failed. It first waits for the actor's queued
    /// events (``settle(_:)``); the `#sync` it sequences releases the actor's hold (``isHeld(_:)``), and so does
    /// finding the firehose up to date. Blocks while the `#sync` is written.
    /// - Parameters:
    ///   - commitCID: the repo root commit.
    ///   - commitBlock: its block (the DID and rev are read from it).
    /// - Returns: the status found, and the seq of the `#sync` when one was emitted.
    @discardableResult
    package func reconcile(commitCID: CID, commitBlock: [UInt8]) throws -> (status: RecoveryStatus, seq: Int64?) {
        let sync = try SyncEvent(commitCID: commitCID, commitBlock: commitBlock)
        settle(sync.did)
        let status = try recoveryStatus(did: sync.did, rootRev: sync.rev)
        switch status {
        case .missingEvents:
            return (status, try enqueue([.sync(sync)], clearingHold: true).wait()[0])
        case .upToDate:
            pipeline.releaseHold(sync.did)
            return (status, nil)
        case .repoBehind:
            return (status, nil)
        }
    }
}
