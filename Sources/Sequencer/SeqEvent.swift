import ATCore
import ATRepo

/// A firehose event as stored in `repo_seq`: one of the `com.atproto.sync.subscribeRepos` message types that a PDS
/// sequences, without the `seq` and `time` that are added when it is emitted.
///
/// `#info` is not here: it is never stored, the ``Outbox`` produces it.
package enum SeqEvent: Hashable, Sendable {
    /// `#commit`, stored with `eventType = 'append'`.
    case commit(CommitEvent)
    /// `#sync`.
    case sync(SyncEvent)
    /// `#identity`.
    case identity(IdentityEvent)
    /// `#account`.
    case account(AccountEvent)

    /// The account the event is about (the `did` column).
    package var did: DID {
        switch self {
        case .commit(let event): event.repo
        case .sync(let event): event.did
        case .identity(let event): event.did
        case .account(let event): event.did
        }
    }

    /// The `eventType` column.
    package var eventType: SeqEventType {
        switch self {
        case .commit: .append
        case .sync: .sync
        case .identity: .identity
        case .account: .account
        }
    }
}

/// The `repo_seq.eventType` column: the reference's names for the stored event kinds.
package enum SeqEventType: String, Hashable, Sendable, CaseIterable {
    /// A `#commit` (the reference's historical name).
    case append
    /// A `#sync`.
    case sync
    /// An `#identity`.
    case identity
    /// An `#account`.
    case account

    /// The message type on the wire (the frame header's `t`).
    package var messageType: String {
        switch self {
        case .append: "#commit"
        case .sync: "#sync"
        case .identity: "#identity"
        case .account: "#account"
        }
    }
}

/// A `#commit` body: one signed commit of a repo, with the blocks that prove and invert its ops.
package struct CommitEvent: Hashable, Sendable {
    /// The largest `blocks` CAR the lexicon allows.
    package static let maxBlocksSize = 2_000_000
    /// The most ops the lexicon allows.
    package static let maxOps = 200

    /// The repo DID.
    package var repo: DID
    /// The commit CID.
    package var commit: CID
    /// The commit's revision.
    package var rev: TID
    /// The previous revision (`null` for the genesis commit).
    package var since: TID?
    /// A CAR v1 whose root is ``commit`` and whose blocks are the commit's new and relevant blocks.
    package var blocks: [UInt8]
    /// The record operations (`cid` is `null` for deletes; `prev` is set for updates and deletes).
    package var ops: [RepoOp]
    /// The previous MST root; omitted for the genesis commit.
    package var prevData: CID?
    /// Deprecated, always `false` when we emit.
    package var rebase: Bool
    /// Deprecated, always `false` when we emit (oversized commits are refused at write time).
    package var tooBig: Bool
    /// Deprecated, always empty when we emit.
    package var blobs: [CID]

    /// A commit event.
    /// - Parameters:
    ///   - repo: the repo DID.
    ///   - commit: the commit CID.
    ///   - rev: the revision.
    ///   - since: the previous revision.
    ///   - blocks: the CAR bytes.
    ///   - ops: the ops.
    ///   - prevData: the previous MST root.
    ///   - rebase: deprecated flag.
    ///   - tooBig: deprecated flag.
    ///   - blobs: deprecated list.
    package init(
        repo: DID, commit: CID, rev: TID, since: TID?, blocks: [UInt8], ops: [RepoOp], prevData: CID?,
        rebase: Bool = false, tooBig: Bool = false, blobs: [CID] = []
    ) {
        self.repo = repo
        self.commit = commit
        self.rev = rev
        self.since = since
        self.blocks = blocks
        self.ops = ops
        self.prevData = prevData
        self.rebase = rebase
        self.tooBig = tooBig
        self.blobs = blobs
    }

    /// The event for a formatted commit: blocks = CAR(root: commit, `newBlocks ∪ relevantBlocks`).
    /// - Parameters:
    ///   - did: the repo DID.
    ///   - commit: the result of `Repo.formatCommit` / `formatInitCommit`.
    package init(did: DID, commit: CommitData) {
        self.init(
            repo: did, commit: commit.cid, rev: commit.rev, since: commit.since, blocks: commit.firehoseCAR(),
            ops: commit.ops, prevData: commit.prevData)
    }
}

/// A `#sync` body: the repo is now at this signed commit (no diff).
package struct SyncEvent: Hashable, Sendable {
    /// The largest `blocks` CAR the lexicon allows.
    package static let maxBlocksSize = 10_000

    /// The account DID.
    package var did: DID
    /// The commit's revision.
    package var rev: TID
    /// A CAR v1 holding only the signed commit block, which is its root.
    package var blocks: [UInt8]

    /// A sync event from its fields.
    /// - Parameters:
    ///   - did: the account DID.
    ///   - rev: the commit's revision.
    ///   - blocks: the CAR with the commit block.
    package init(did: DID, rev: TID, blocks: [UInt8]) {
        self.did = did
        self.rev = rev
        self.blocks = blocks
    }

    /// The sync event for a signed commit block; the DID and rev are read from the block.
    /// - Parameters:
    ///   - commitCID: the commit's CID.
    ///   - commitBlock: the commit's DAG-CBOR block.
    /// - Throws: `RepoError.invalidCommit` when the block is not a commit.
    package init(commitCID: CID, commitBlock: [UInt8]) throws {
        let commit = try Commit(bytes: commitBlock)
        self.init(
            did: commit.did, rev: commit.rev,
            blocks: CARWriter.serialize(roots: [commitCID], blocks: [(cid: commitCID, bytes: commitBlock)]))
    }

    /// The sync event for a formatted commit (its commit block is in `newBlocks`).
    /// - Parameters:
    ///   - did: the account DID.
    ///   - commit: the formatted commit.
    /// - Throws: `RepoError.missingBlock` when the commit block is not among the commit's new blocks.
    package init(did: DID, commit: CommitData) throws {
        guard let block = commit.newBlocks[commit.cid] else { throw RepoError.missingBlock(commit.cid) }
        self.init(
            did: did, rev: commit.rev,
            blocks: CARWriter.serialize(roots: [commit.cid], blocks: [(cid: commit.cid, bytes: block)]))
    }
}

/// An `#identity` body: the account's identity (handle, keys, PDS) may have changed.
package struct IdentityEvent: Hashable, Sendable {
    /// The account DID.
    package var did: DID
    /// The current handle, when known (omitted after PLC operations, as in the reference).
    package var handle: Handle?

    /// An identity event.
    /// - Parameters:
    ///   - did: the account DID.
    ///   - handle: the handle, if it is to be announced.
    package init(did: DID, handle: Handle? = nil) {
        self.did = did
        self.handle = handle
    }
}

/// An `#account` body: the account's hosting status on this PDS.
package struct AccountEvent: Hashable, Sendable {
    /// The account DID.
    package var did: DID
    /// Whether the repo can be fetched from this host.
    package var active: Bool
    /// Why the account is inactive (absent when active).
    package var status: Status?

    /// An account event.
    /// - Parameters:
    ///   - did: the account DID.
    ///   - active: whether the account is active.
    ///   - status: the reason when inactive.
    package init(did: DID, active: Bool, status: Status? = nil) {
        self.did = did
        self.active = active
        self.status = status
    }
}

extension AccountEvent {
    /// `#account.status`: an open set of reasons an account is inactive.
    package struct Status: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The wire value.
        package let rawValue: String

        /// A status, known or not.
        /// - Parameters:
        ///   - rawValue: the wire value.
        package init(rawValue: String) { self.rawValue = rawValue }

        /// Taken down by a moderator.
        package static let takendown = Status(rawValue: "takendown")
        /// Suspended (temporary takedown).
        package static let suspended = Status(rawValue: "suspended")
        /// Deleted.
        package static let deleted = Status(rawValue: "deleted")
        /// Deactivated by the owner (or migrating away).
        package static let deactivated = Status(rawValue: "deactivated")
        /// The host's copy is out of sync.
        package static let desynchronized = Status(rawValue: "desynchronized")
        /// Throttled.
        package static let throttled = Status(rawValue: "throttled")

        /// The wire value.
        package var description: String { rawValue }
    }
}
