import ATCore
import ATCrypto

extension RepoVerifier {
    /// Verifies a record proof (`com.atproto.sync.getRecord`'s CAR: the signed commit, the MST nodes on the path to
    /// the record, and the record) and returns the record.
    ///
    /// Checks every block's hash (the CAR reader does), the commit's DID and signature, and that the tree under the
    /// commit maps `path` to the record block the CAR holds. Nodes off the path are not needed and not checked.
    /// - Parameters:
    ///   - car: the CAR bytes.
    ///   - did: the DID the commit must name.
    ///   - key: the DID's signing key.
    ///   - path: `<collection>/<rkey>`.
    ///   - limits: CAR size bounds.
    /// - Returns: the record's CID and its DAG-CBOR bytes.
    /// - Throws: `RepoError.invalidCAR`, `.invalidCommit`, `.missingBlock`, or `.recordNotFound` when the tree does not
    ///   hold `path`.
    package static func verifyRecordProof(
        car: [UInt8], did: DID, key: any VerifyingKey, path: String,
        limits: CARReader.Limits = CARReader.Limits(maxTotalSize: 4 << 20)
    ) throws -> (cid: CID, bytes: [UInt8]) {
        let roots: [CID]
        let carBlocks: [CARReader.Block]
        do { (roots, carBlocks) = try CARReader.read(car, limits: limits) } catch {
            throw RepoError.invalidCAR("\(error)")
        }
        guard let root = roots.first else { throw RepoError.invalidCAR("no root") }
        var all = BlockMap()
        for block in carBlocks { all.set(block.cid, block.bytes) }
        let store = MemoryBlockstore(all)
        guard root.codec == .dagCBOR else { throw RepoError.invalidCommit("commit CID must be dag-cbor") }
        let commit = try Commit(bytes: try store.bytes(root))
        guard commit.did == did else { throw RepoError.invalidCommit("commit DID \(commit.did) is not \(did)") }
        guard commit.verifySignature(with: key) else { throw RepoError.invalidCommit("bad signature") }
        guard let cid = try MST.load(storage: store, root: commit.data).get(path) else {
            throw RepoError.recordNotFound(path)
        }
        guard let bytes = all[cid] else { throw RepoError.missingBlock(cid) }
        return (cid, bytes)
    }
}
