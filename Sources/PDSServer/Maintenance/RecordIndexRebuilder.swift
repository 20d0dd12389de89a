import ActorStore
import ATCore
import ATRepo

/// Rebuilds an account's record index and backlinks from its repo blocks (`pds repo rebuild`), in one actor
/// transaction: the `record` and `backlink` rows are replaced by those of the records the current commit's tree holds.
/// Takedowns and first-indexed times of records still present are kept.
package struct RecordIndexRebuilder: Sendable {
    /// The actor stores.
    let actorStore: ActorStore

    /// Creates a rebuilder over `actorStore`.
    package init(actorStore: ActorStore) { self.actorStore = actorStore }

    /// What a rebuild changed.
    package struct Summary: Sendable, Hashable, Encodable {
        /// Records indexed.
        package var records: Int
        /// Records that were missing from the index.
        package var added: Int
        /// Records the index had with another CID.
        package var corrected: Int
        /// Index rows naming records that are not in the repo, dropped.
        package var removed: Int
    }

    /// Rebuilds `did`'s index.
    /// - Throws: the repo's verification errors (a missing record block cannot be indexed), store errors.
    package func rebuild(_ did: DID) async throws -> Summary {
        try await actorStore.transact(did) { txn in
            guard let root = try txn.repoReader.root() else { throw RepoError.emptyRepo }
            return try Self.rebuild(txn, root: root)
        }
    }

    /// Rebuilds the index of the transactor's actor for the commit `root` (which must verify, records included).
    static func rebuild(_ txn: ActorStoreTransactor, root: (cid: CID, rev: TID)) throws -> Summary {
        let verified = try RepoVerifier.verify(
            commitCID: root.cid, storage: txn.storage, did: txn.did, key: nil, requireRecords: true)
        return try reindex(txn, verified: verified, rev: root.rev)
    }

    /// Replaces the index of the transactor's actor by the records of `verified` (its blocks hold every record).
    static func reindex(_ txn: ActorStoreTransactor, verified: VerifiedRepo, rev: TID) throws -> Summary {
        let did = txn.did
        let kept = Dictionary(
            try txn.record.indexedRows().map { ($0.uri, $0) }, uniquingKeysWith: { first, _ in first })
        try txn.record.clearIndex()
        var summary = Summary(records: 0, added: 0, corrected: 0, removed: 0)
        var current: Set<String> = []
        for (key, cid) in verified.records {
            let parts = key.split(separator: "/", maxSplits: 1)
            guard parts.count == 2 else { throw RepoError.invalidKey(key) }
            let uri = ATURI(did: did, collection: try NSID(parts[0]), rkey: try RecordKey(parts[1]))
            guard let bytes = verified.blocks[cid] else { throw RepoError.missingBlock(cid) }
            let record = try DAGCBOR.decode(bytes)
            let old = kept[uri.rawValue]
            try txn.record.indexRecord(
                uri: uri, cid: cid, record: record, repoRev: rev,
                indexedAt: old?.indexedAt ?? Datetime.now().rawValue)
            if let ref = old?.takedownRef { try txn.record.updateTakedown(uri: uri, takedownRef: ref) }
            if let old {
                if old.cid != cid.description { summary.corrected += 1 }
            } else {
                summary.added += 1
            }
            current.insert(uri.rawValue)
            summary.records += 1
        }
        summary.removed = kept.keys.filter { !current.contains($0) }.count
        return summary
    }
}
