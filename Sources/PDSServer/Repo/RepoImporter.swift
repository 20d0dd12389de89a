import ActorStore
import ATCore
import ATRepo
import Identity
import ServiceDB

/// `com.atproto.repo.importRepo`: a repository CAR, fully verified, replaces a deactivated account's repo.
///
/// Verification (on the offload pool, before anything is touched): every block's hash, the commit's DID and its
/// signature by the signing key the DID document names now, the MST's canonical structure, and every record present.
/// Then, in one actor transaction, the old blocks, root, record index, backlinks and blob references are replaced by
/// the import's; the uploaded blobs themselves stay, and the records' blob references become the "expected blobs"
/// `listMissingBlobs` and `checkAccountStatus` report until they are uploaded. As the reference, no firehose event is
/// sequenced: `activateAccount` announces the repo. Unlike the reference (which keeps a fresh local TID), the root
/// keeps the imported commit's revision, so relays see revisions move forward.
struct RepoImporter: Sendable {
    /// The per-actor stores.
    let actorStore: ActorStore
    /// Accounts (the `repo_root` mirror).
    let serviceDB: ServiceDB
    /// DID documents (the key the commit must be signed with).
    let didDocuments: DIDDocumentSource

    /// What an import stored.
    struct Summary: Sendable {
        /// The imported commit.
        var commit: CID
        /// Its revision.
        var rev: TID
        /// The records indexed.
        var records: Int
        /// The blob references recorded.
        var blobs: Int
    }

    /// Verifies `car` for `did` and makes it the account's repo.
    /// - Throws: 400 `InvalidRequest` naming what does not verify, or when the DID has no signing key; the account's
    ///   previous repo is then untouched.
    func importRepo(_ car: [UInt8], for did: DID) async throws -> Summary {
        let document = try await didDocuments.document(did, forceRefresh: true)
        guard let key = document?.signingKey else {
            throw XRPCError.invalidRequest("Could not resolve the signing key of \(did)")
        }
        let verified: VerifiedRepo
        do {
            verified = try await BlockingPool.shared.runCPUBound {
                try RepoVerifier.verify(car: car, did: did, key: key, requireRecords: true)
            }
        } catch let error as RepoError {
            throw XRPCError.invalidRequest("Invalid repo: \(error)")
        }
        let rev = verified.commit.rev
        let summary = try await actorStore.transact(did) { txn in
            try txn.storage.deleteAll()
            try txn.storage.putMany(verified.blocks, rev: rev)
            try txn.storage.updateRoot(verified.cid, rev: rev)
            let index = try RecordIndexRebuilder.reindex(txn, verified: verified, rev: rev)
            try txn.blob.clearRecordReferences()
            var blobs = 0
            for (key, cid) in verified.records {
                guard let bytes = verified.blocks[cid], let record = try? DAGCBOR.decode(bytes) else { continue }
                let refs = BlobRef.all(in: record).map(\.ref)
                guard !refs.isEmpty else { continue }
                try txn.blob.associate(refs, with: try ATURI("at://\(did.rawValue)/\(key)"))
                blobs += refs.count
            }
            return Summary(commit: verified.cid, rev: rev, records: index.records, blobs: blobs)
        }
        try await serviceDB.updateRepoRoot(did: did, cid: summary.commit, rev: summary.rev)
        return summary
    }
}
