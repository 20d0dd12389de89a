import ATCore
import ATCrypto
import ATRepo
import GRDB

/// Repository writes for one actor inside its `IMMEDIATE` transaction (the reference's `RepoTransactor`): ATRepo
/// formats and signs the commit; this stores its blocks and root and keeps the record index in step, all in the one
/// SQLite transaction of ``ActorStore/transact(_:_:)``.
///
/// Not `Sendable` (it wraps GRDB's `Database`).
package struct RepoTransactor {
    /// The most writes one commit may hold (the reference's limit).
    package static let maxWrites = 200
    /// The most bytes a commit's relevant blocks (its firehose event) may hold (the reference's limit).
    package static let maxCommitBytes = 2_000_000

    /// Block storage and root, writing in this transaction.
    package let storage: SQLRepoStorage
    /// Repository reads over this transaction (root, CAR export, proofs).
    package let reader: RepoReader
    let keys: ActorKeyCache

    var did: DID { storage.did }
    var db: Database { storage.db }

    init(did: DID, db: Database, keys: ActorKeyCache) {
        self.storage = SQLRepoStorage(did: did, db: db)
        self.reader = RepoReader(did: did, db: db)
        self.keys = keys
    }

    /// The current commit CID and revision, or `nil` before the genesis commit.
    package func root() throws -> (cid: CID, rev: TID)? { try storage.root() }

    /// The repo as CAR, whole or since a revision, as seen inside this transaction (see
    /// ``RepoReader/exportCAR(since:)``).
    package func exportCAR(since: TID? = nil) throws -> [UInt8] { try reader.exportCAR(since: since) }

    /// The blocks proving a record path, as seen inside this transaction (see
    /// ``RepoReader/getRecordProof(collection:rkey:)``).
    package func getRecordProof(collection: NSID, rkey: RecordKey) throws -> RecordProof {
        try reader.getRecordProof(collection: collection, rkey: rkey)
    }

    /// Creates the repo with its genesis commit (reference §f.5, `createRepo`): an empty tree, or `writes` (creates)
    /// as its initial records. Stores the blocks and `repo_root`, and indexes the records.
    /// - Parameters:
    ///   - writes: initial records; every write must be a create.
    ///   - keypair: the signing key; the actor's stored key when `nil`.
    /// - Returns: the genesis commit, for the firehose.
    /// - Throws: `ActorStoreError.repoAlreadyExists` when the actor already has a commit; `RepoError` from ATRepo.
    package func createRepo(writes: [RepoWrite] = [], keypair: (any Keypair)? = nil) throws -> CommitData {
        guard try storage.root() == nil else { throw ActorStoreError.repoAlreadyExists(did) }
        let key: any Keypair = try keypair ?? keys.keypair(for: did)
        let commit = try Repo.formatInitCommit(storage: storage, did: did, keypair: key, writes: writes)
        try storage.applyCommit(commit)
        try indexWrites(writes, commit: commit)
        return commit
    }

    /// Applies `writes` as one signed commit (reference §f.3), in the caller's transaction:
    ///
    /// 1. at most ``maxWrites`` writes;
    /// 2. `swapCommit`, when given, must be the current commit;
    /// 3. each write's `swapRecord`, when given, must match the record index (taken-down records included): a
    ///    create needs ``RepoWrite/Swap/absent`` and no record, an update or delete needs
    ///    ``RepoWrite/Swap/cid(_:)`` equal to the current record;
    /// 4. ATRepo's ``Repo/formatCommit(_:keypair:revs:revFloor:isRecordReferenced:)`` builds and signs the commit with the
    ///    actor's key, asking the record index whether a dropped record block is still used elsewhere;
    /// 5. the relevant blocks must fit in ``maxCommitBytes``;
    /// 6. the blocks are stored with the new revision, removed blocks deleted, and `repo_root` moved;
    /// 7. the `record` and `backlink` index follows the writes.
    ///
    /// As in ATRepo, a create of an existing path fails with `RepoError.recordExists`, and an update or delete of a
    /// missing one with `RepoError.recordNotFound`. Handlers for which a missing record is not an error
    /// (`deleteRecord` is a no-op then, `putRecord` picks create or update) decide before calling this, from
    /// `txn.recordReader.currentRecordCID(uri:)`, inside the same transaction.
    /// - Parameters:
    ///   - writes: the writes, applied in order; a path may appear once.
    ///   - swapCommit: the commit the caller expects to be current, or `nil` for no check.
    /// - Returns: the commit, from which the caller builds the firehose event.
    /// - Throws: `RepoError.tooManyWrites`, `.badCommitSwap(current:)`, `.badRecordSwap(current:)`,
    ///   `.recordExists`, `.recordNotFound`, `.duplicateWrite`, `.commitTooLarge`, `.emptyRepo` (no genesis commit).
    package func processWrites(_ writes: [RepoWrite], swapCommit: CID?) throws -> CommitData {
        guard writes.count <= Self.maxWrites else { throw RepoError.tooManyWrites(max: Self.maxWrites) }
        guard let root = try storage.root() else { throw RepoError.emptyRepo }
        if let swapCommit, swapCommit != root.cid { throw RepoError.badCommitSwap(current: root.cid) }
        let records = RecordReader(db: db)
        let uris = writes.map { ATURI(did: did, collection: $0.collection, rkey: $0.rkey) }
        for (write, uri) in zip(writes, uris) {
            guard let swap = write.swapRecord else { continue }
            let current = try records.currentRecordCID(uri: uri)
            let matches: Bool
            switch (write.action, swap) {
            case (.create, .absent): matches = current == nil
            case (.update, .cid(let expected)), (.delete, .cid(let expected)): matches = current == expected
            case (.create, .cid), (.update, .absent), (.delete, .absent): matches = false
            }
            guard matches else { throw RepoError.badRecordSwap(current: current) }
        }

        let repo = try Repo.load(storage: storage, cid: root.cid)
        let written = Set(uris.map(\.rawValue))
        let commit = try repo.formatCommit(writes, keypair: keys.keypair(for: did)) { cid in
            // Any indexed path other than the written ones keeps the block; written paths hold the pre-commit
            // state in the index and are accounted for by ATRepo.
            try records.uris(withCID: cid, limit: written.count + 1).contains { !written.contains($0) }
        }
        let size = commit.relevantBlocks.byteSize
        guard size <= Self.maxCommitBytes else { throw RepoError.commitTooLarge(size: size, max: Self.maxCommitBytes) }
        try storage.applyCommit(commit)
        try indexWrites(writes, commit: commit)
        return commit
    }

    /// Brings the `record` and `backlink` tables in line with a commit's writes (the reference's `indexWrites`).
    private func indexWrites(_ writes: [RepoWrite], commit: CommitData) throws {
        let index = RecordTransactor(db: db)
        let indexedAt = Datetime.now().rawValue
        for (write, op) in zip(writes, commit.ops) {
            let uri = ATURI(did: did, collection: write.collection, rkey: write.rkey)
            switch write.action {
            case .create, .update:
                guard let cid = op.cid else { continue }
                try index.indexRecord(
                    uri: uri, cid: cid, record: write.record, action: write.action == .create ? .create : .update,
                    repoRev: commit.rev, indexedAt: indexedAt)
            case .delete:
                try index.deleteRecord(uri: uri)
            }
        }
    }
}
