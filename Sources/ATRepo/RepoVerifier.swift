import ATCore
import ATCrypto

/// A repository CAR that passed ``RepoVerifier/verify(car:did:key:requireRecords:)``.
package struct VerifiedRepo: Sendable {
    /// The commit CID (the CAR's first root).
    package var cid: CID
    /// The commit.
    package var commit: Commit
    /// The blocks reachable from the commit: the commit, every MST node, every record present.
    package var blocks: BlockMap
    /// Every key and record CID, in key order.
    package var records: [(key: String, cid: CID)]
}

/// Complete verification of an untrusted repository CAR.
///
/// Checks every block's hash, the commit's shape, DID and signature, the MST's canonical structure (node encoding,
/// key validity and order, each key at the layer its hash gives, key ranges, no empty nodes at the top or bottom,
/// no skipped layers), and that every record the tree points at is present. Blocks that nothing reaches are
/// dropped.
package enum RepoVerifier {
    /// Verifies a repository CAR.
    /// - Parameters:
    ///   - car: the CAR bytes.
    ///   - did: the DID the commit must name, if known.
    ///   - key: the account's signing key; `nil` skips the signature check (for example a local backup).
    ///   - requireRecords: whether every record block must be present.
    ///   - limits: CAR size bounds.
    package static func verify(
        car: [UInt8], did: DID? = nil, key: (any VerifyingKey)?, requireRecords: Bool = true,
        limits: CARReader.Limits = CARReader.Limits()
    ) throws -> VerifiedRepo {
        let roots: [CID]
        let carBlocks: [CARReader.Block]
        do { (roots, carBlocks) = try CARReader.read(car, limits: limits) } catch {
            throw RepoError.invalidCAR("\(error)")
        }
        guard let root = roots.first else { throw RepoError.invalidCAR("no root") }
        let store = MemoryBlockstore()
        var all = BlockMap()
        for block in carBlocks { all.set(block.cid, block.bytes) }
        store.put(all)
        return try verify(commitCID: root, storage: store, did: did, key: key, requireRecords: requireRecords)
    }

    /// Verifies the repository at `commitCID` held in `storage` (see ``verify(car:did:key:requireRecords:limits:)``).
    package static func verify(
        commitCID: CID, storage: any RepoStorage, did: DID? = nil, key: (any VerifyingKey)?,
        requireRecords: Bool = true
    ) throws -> VerifiedRepo {
        guard commitCID.codec == .dagCBOR else { throw RepoError.invalidCommit("commit CID must be dag-cbor") }
        let commitBytes = try storage.bytes(commitCID)
        let commit = try Commit(bytes: commitBytes)
        if let did, commit.did != did { throw RepoError.invalidCommit("commit DID \(commit.did) is not \(did)") }
        if let key, !commit.verifySignature(with: key) { throw RepoError.invalidCommit("bad signature") }
        var blocks = BlockMap()
        blocks.set(commitCID, commitBytes)
        let tree = try MST.load(storage: storage, root: commit.data)
        var records: [(key: String, cid: CID)] = []
        try checkNode(
            tree.root, layer: tree.layer, isRoot: true, lower: nil, upper: nil, tree: tree, blocks: &blocks,
            records: &records)
        var recordCIDs: [CID] = []
        var seen: Set<CID> = []
        for record in records where seen.insert(record.cid).inserted { recordCIDs.append(record.cid) }
        let (found, missing) = try storage.getBlocks(recordCIDs)
        if requireRecords, let first = missing.first { throw RepoError.missingBlock(first) }
        blocks.add(contentsOf: found)
        return VerifiedRepo(cid: commitCID, commit: commit, blocks: blocks, records: records)
    }

    private static func checkNode(
        _ node: MSTNode, layer: Int, isRoot: Bool, lower: [UInt8]?, upper: [UInt8]?, tree: MST,
        blocks: inout BlockMap, records: inout [(key: String, cid: CID)]
    ) throws {
        guard !blocks.contains(node.cid) else { throw RepoError.invalidMST("node \(node.cid) appears twice") }
        blocks.set(node.cid, node.bytes)
        if node.entries.isEmpty {
            if isRoot, node.left != nil { throw RepoError.invalidMST("root has no entries") }
            if !isRoot, node.left == nil { throw RepoError.invalidMST("empty node \(node.cid) inside the tree") }
        }
        guard layer >= 0 else { throw RepoError.invalidMST("tree deeper than its top layer") }
        for index in 0...node.entries.count {
            let gapLower = index > 0 ? node.entries[index - 1].key : lower
            let gapUpper = index < node.entries.count ? node.entries[index].key : upper
            if let link = node.slot(index) {
                guard layer > 0 else { throw RepoError.invalidMST("layer-0 node \(node.cid) has a subtree") }
                let child = try tree.load(link)
                try checkNode(
                    child, layer: layer - 1, isRoot: false, lower: gapLower, upper: gapUpper, tree: tree,
                    blocks: &blocks, records: &records)
            }
            guard index < node.entries.count else { break }
            let entry = node.entries[index]
            guard MST.isValidKey(entry.key) else {
                throw RepoError.invalidKey(String(decoding: entry.key, as: UTF8.self))
            }
            guard MST.layer(of: entry.key) == layer else {
                throw RepoError.invalidMST("key \(String(decoding: entry.key, as: UTF8.self)) is at the wrong layer")
            }
            if let lower, !keyPrecedes(lower, entry.key) { throw RepoError.invalidMST("key out of its subtree range") }
            if let upper, !keyPrecedes(entry.key, upper) { throw RepoError.invalidMST("key out of its subtree range") }
            records.append((String(decoding: entry.key, as: UTF8.self), entry.value))
        }
    }
}

extension Repo {
    /// Verifies a repository CAR and stores it as the repo's current state (account import or restore).
    ///
    /// Only the blocks reachable from the commit are stored, tagged with the commit's revision.
    /// - Parameters:
    ///   - car: the CAR bytes.
    ///   - storage: the destination store.
    ///   - did: the DID the commit must name, if known.
    ///   - key: the signing key the commit must verify with (`nil` to skip).
    package static func importCAR(
        _ car: [UInt8], into storage: any RepoStorage, did: DID? = nil, key: (any VerifyingKey)?
    ) throws -> Repo {
        let verified = try RepoVerifier.verify(car: car, did: did, key: key)
        try storage.putMany(verified.blocks, rev: verified.commit.rev)
        try storage.updateRoot(verified.cid, rev: verified.commit.rev)
        return try load(storage: storage, cid: verified.cid)
    }
}
