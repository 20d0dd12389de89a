import ATCore
import ATCrypto

/// A repository at one commit: the signed commit and its MST, read through a `RepoStorage`.
///
/// - Note: Not `Sendable`: it reads through storage that belongs to one transaction.
package struct Repo {
    /// Where the blocks are.
    package let storage: any RepoStorage
    /// The current commit.
    package let commit: Commit
    /// The current commit's CID.
    package let cid: CID
    /// The record tree.
    package let data: MST

    /// The account DID.
    package var did: DID { commit.did }

    /// Loads the repo at `cid`, or at the storage's current root.
    /// - Parameters:
    ///   - storage: the blocks.
    ///   - cid: a commit CID; the storage root when `nil`.
    /// - Throws: `RepoError.emptyRepo` when there is no root, `.missingBlock`, `.invalidCommit`, `.invalidMST`.
    package static func load(storage: any RepoStorage, cid: CID? = nil) throws -> Repo {
        guard let cid = try cid ?? storage.root()?.cid else { throw RepoError.emptyRepo }
        let commit = try Commit(bytes: storage.bytes(cid))
        let data = try MST.load(storage: storage, root: commit.data)
        return Repo(storage: storage, commit: commit, cid: cid, data: data)
    }

    /// The record stored at `collection/rkey`, with its CID.
    /// - Parameters:
    ///   - collection: the collection NSID.
    ///   - rkey: the record key.
    package func getRecord(_ collection: NSID, _ rkey: RecordKey) throws -> (cid: CID, value: LexValue)? {
        guard let cid = try data.get("\(collection.rawValue)/\(rkey.rawValue)") else { return nil }
        return (cid, try storage.value(cid))
    }

    // MARK: - Writing

    /// Formats the genesis commit of a new repo holding `writes` (creates only).
    /// - Parameters:
    ///   - storage: where the new blocks will be written (only read here).
    ///   - did: the account DID.
    ///   - keypair: the signing key.
    ///   - writes: initial records; every write must be a create.
    ///   - revs: the revision source.
    package static func formatInitCommit(
        storage: any RepoStorage, did: DID, keypair: some Keypair, writes: [RepoWrite] = [],
        revs: TIDGenerator = Repo.revisions
    ) throws -> CommitData {
        var tree = MST(storage: storage)
        var newBlocks = BlockMap()
        var ops: [RepoOp] = []
        var seen: Set<String> = []
        for write in writes {
            guard write.action == .create, let record = write.recordBlock else {
                throw RepoError.recordNotFound(write.path)
            }
            guard seen.insert(write.path).inserted else { throw RepoError.duplicateWrite(write.path) }
            let cid = newBlocks.add(record)
            tree = try tree.adding(write.path, cid)
            ops.append(RepoOp(action: .create, path: write.path, cid: cid, prev: nil))
        }
        let diff = try MST.diff(from: nil, to: tree)
        let commit = try Commit.sign(did: did, data: tree.rootCID, rev: revs.next(), keypair: keypair)
        let commitBytes = commit.bytes
        let commitCID = CID.dagCBOR(hashing: commitBytes)
        var blocks = BlockMap()
        blocks.set(commitCID, commitBytes)
        blocks.add(contentsOf: diff.newNodes)
        blocks.add(contentsOf: newBlocks)
        return CommitData(
            cid: commitCID, rev: commit.rev, since: nil, prev: nil, data: tree.rootCID, prevData: nil,
            newBlocks: blocks, relevantBlocks: blocks, removedCIDs: [], ops: ops)
    }

    /// Creates a repo: formats the genesis commit, stores it, and loads the result.
    /// - Parameters:
    ///   - storage: an empty store.
    ///   - did: the account DID.
    ///   - keypair: the signing key.
    ///   - writes: initial records (creates).
    ///   - revs: the revision source.
    package static func create(
        storage: any RepoStorage, did: DID, keypair: some Keypair, writes: [RepoWrite] = [],
        revs: TIDGenerator = Repo.revisions
    ) throws -> Repo {
        let commit = try formatInitCommit(storage: storage, did: did, keypair: keypair, writes: writes, revs: revs)
        try storage.applyCommit(commit)
        return try load(storage: storage, cid: commit.cid)
    }

    /// Formats a commit applying `writes` to this repo, without touching storage.
    ///
    /// The commit is signed with `keypair` and gets a revision greater than the current one. Creates need an empty
    /// path; updates and deletes need an existing record; a path may appear once per batch.
    /// - Parameters:
    ///   - writes: the writes, applied in order.
    ///   - keypair: the signing key.
    ///   - revs: the revision source.
    ///   - revFloor: a revision the new one must also exceed (see ``formatResign(keypair:after:revs:)``).
    ///   - isRecordReferenced: tells whether a record CID is still used by a path that this commit does not
    ///     write (two records with identical content share a block). When `nil`, the new tree is scanned, which
    ///     costs O(n) and only happens when a write drops a record CID; a store with a record index should answer
    ///     from it instead.
    package func formatCommit(
        _ writes: [RepoWrite], keypair: some Keypair, revs: TIDGenerator = Repo.revisions, revFloor: TID? = nil,
        isRecordReferenced: ((CID) throws -> Bool)? = nil
    ) throws -> CommitData {
        var tree = data
        var newRecords = BlockMap()
        var ops: [RepoOp] = []
        var seen: Set<String> = []
        for write in writes {
            let path = write.path
            guard seen.insert(path).inserted else { throw RepoError.duplicateWrite(path) }
            let prev = try data.get(path)
            switch write.action {
            case .create:
                guard prev == nil else { throw RepoError.recordExists(path) }
                let cid = newRecords.add(write.recordBlock ?? RecordBlock(.null))
                tree = try tree.adding(path, cid)
                ops.append(RepoOp(action: .create, path: path, cid: cid, prev: nil))
            case .update:
                guard let prev else { throw RepoError.recordNotFound(path) }
                let cid = newRecords.add(write.recordBlock ?? RecordBlock(.null))
                tree = try tree.updating(path, cid)
                ops.append(RepoOp(action: .update, path: path, cid: cid, prev: prev))
            case .delete:
                guard let prev else { throw RepoError.recordNotFound(path) }
                tree = try tree.deleting(path)
                ops.append(RepoOp(action: .delete, path: path, cid: nil, prev: prev))
            }
        }
        let diff = try MST.diff(from: data, to: tree)
        let rev = revs.next(after: max(commit.rev, revFloor ?? commit.rev))
        let newCommit = try Commit.sign(did: commit.did, data: tree.rootCID, rev: rev, keypair: keypair)
        let commitBytes = newCommit.bytes
        let commitCID = CID.dagCBOR(hashing: commitBytes)

        var newBlocks = BlockMap()
        newBlocks.set(commitCID, commitBytes)
        newBlocks.add(contentsOf: diff.newNodes)
        newBlocks.add(contentsOf: newRecords)

        var relevant = BlockMap()
        relevant.set(commitCID, commitBytes)
        for op in ops { try tree.addCoveringProof(for: op.path, into: &relevant) }
        relevant.add(contentsOf: newRecords)

        // History is not kept (`prev` is null), so the previous commit block goes too.
        var removed = diff.removedNodes + [cid]
        let written = Set(ops.compactMap(\.cid))
        var dropped = Set(ops.compactMap(\.prev)).subtracting(written)
        if !dropped.isEmpty {
            if let isRecordReferenced {
                dropped = try dropped.filter { try !isRecordReferenced($0) }
            } else {
                try tree.walk { _, value in
                    dropped.remove(value)
                    return !dropped.isEmpty
                }
            }
            removed.append(contentsOf: dropped.sorted())
        }
        return CommitData(
            cid: commitCID, rev: rev, since: commit.rev, prev: cid, data: tree.rootCID, prevData: data.rootCID,
            newBlocks: newBlocks, relevantBlocks: relevant, removedCIDs: removed, ops: ops)
    }

    /// Formats, stores and loads the commit applying `writes`.
    /// - Parameters:
    ///   - writes: the writes.
    ///   - keypair: the signing key.
    ///   - revs: the revision source.
    /// - Returns: the new repo and the commit data (for the firehose).
    package func applyWrites(
        _ writes: [RepoWrite], keypair: some Keypair, revs: TIDGenerator = Repo.revisions
    ) throws -> (repo: Repo, commit: CommitData) {
        let commitData = try formatCommit(writes, keypair: keypair, revs: revs)
        try storage.applyCommit(commitData)
        return (try Repo.load(storage: storage, cid: commitData.cid), commitData)
    }

    /// A new signed commit over the same data (for example after a signing key rotation, or to move a repo restored
    /// from an older backup past the revision the firehose last announced).
    /// - Parameters:
    ///   - keypair: the signing key.
    ///   - floor: a revision the new one must exceed besides the current one (the last announced revision).
    ///   - revs: the revision source.
    package func formatResign(
        keypair: some Keypair, after floor: TID? = nil, revs: TIDGenerator = Repo.revisions
    ) throws -> CommitData {
        try formatCommit([], keypair: keypair, revs: revs, revFloor: floor)
    }

    /// The default revision source.
    package static let revisions = TIDGenerator()
}
