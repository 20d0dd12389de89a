import ActorStore
import ATCore
import ATCrypto
import ATRepo

/// What ``RepoAudit`` found in one account's actor store.
package struct RepoAuditReport: Sendable, Hashable, Encodable {
    /// The account.
    package var did: DID
    /// The current commit's revision, when there is a readable commit.
    package var rev: String?
    /// The records in the repo's tree.
    package var records: Int
    /// The blocks stored.
    package var blocks: Int
    /// Every problem found, in words; empty when the repo is sound.
    package var problems: [String]

    /// Whether nothing is wrong.
    package var isSound: Bool { problems.isEmpty }
}

/// Offline checks of an actor store (`pds repo verify`): every stored block hashes to its CID; the commit is signed
/// by the account's key (the `key` file beside the store) and names the account; the MST is canonical and every
/// record it points at is present (``RepoVerifier``); and the record index (`record` table) lists exactly the
/// repo's records with the same CIDs.
package struct RepoAudit: Sendable {
    /// The actor stores.
    let actorStore: ActorStore

    /// Creates an audit over `actorStore`.
    package init(actorStore: ActorStore) { self.actorStore = actorStore }

    /// Checks `did`'s store; problems are reported, never thrown.
    package func verify(_ did: DID) async -> RepoAuditReport {
        do {
            return try await actorStore.read(did) { reader in Self.audit(reader) }
        } catch {
            return RepoAuditReport(did: did, rev: nil, records: 0, blocks: 0, problems: ["cannot open the actor store: \(error)"])
        }
    }

    /// The checks, on a reader.
    static func audit(_ reader: ActorStoreReader) -> RepoAuditReport {
        var report = RepoAuditReport(did: reader.did, rev: nil, records: 0, blocks: 0, problems: [])
        report.problems += corruptBlocks(reader, count: &report.blocks)
        let root: (cid: CID, rev: TID)?
        do {
            root = try reader.repo.root()
        } catch {
            report.problems.append("cannot read the repo root: \(error)")
            return report
        }
        guard let root else {
            report.problems.append("no repo root")
            return report
        }
        report.rev = root.rev.rawValue
        let key: (any VerifyingKey)?
        do {
            key = try reader.keypair().publicKey
        } catch {
            report.problems.append("cannot read the signing key: \(error)")
            key = nil
        }
        let verified: VerifiedRepo
        do {
            verified = try RepoVerifier.verify(
                commitCID: root.cid, storage: reader.repo.storage, did: reader.did, key: key, requireRecords: false)
        } catch RepoError.missingBlock(let cid) {
            report.problems.append("block \(cid) of the repo is missing")
            return report
        } catch {
            report.problems.append("the repo does not verify: \(error)")
            return report
        }
        report.records = verified.records.count
        let inTree = Dictionary(verified.records.map { ($0.key, $0.cid) }, uniquingKeysWith: { first, _ in first })
        for (key, cid) in verified.records where !verified.blocks.contains(cid) {
            report.problems.append("record \(key) (\(cid)) is missing from the repo's blocks")
        }
        let indexed: [(uri: ATURI, cid: CID)]
        do {
            indexed = try reader.record.listAll()
        } catch {
            report.problems.append("cannot read the record index: \(error)")
            return report
        }
        var inIndex: [String: CID] = [:]
        for row in indexed {
            guard let collection = row.uri.collection, let rkey = row.uri.recordKey else { continue }
            inIndex["\(collection.rawValue)/\(rkey.rawValue)"] = row.cid
        }
        for (key, cid) in inTree.sorted(by: { $0.key < $1.key }) {
            switch inIndex[key] {
            case nil: report.problems.append("record \(key) is in the repo but not in the record index")
            case let other? where other != cid:
                report.problems.append("the record index has \(other) for \(key), the repo \(cid)")
            default: break
            }
        }
        for key in inIndex.keys.sorted() where inTree[key] == nil {
            report.problems.append("the record index lists \(key), which is not in the repo")
        }
        return report
    }

    /// Every stored block whose bytes do not hash to its CID, as problems; `count` receives the number of blocks.
    static func corruptBlocks(_ reader: ActorStoreReader, count: inout Int) -> [String] {
        var problems: [String] = []
        var cursor: CID?
        repeat {
            let page: (blocks: BlockMap, next: CID?)
            do {
                page = try reader.repo.allBlocks(after: cursor)
            } catch {
                return problems + ["cannot read the stored blocks: \(error)"]
            }
            for (cid, bytes) in page.blocks {
                count += 1
                let computed = try? CID(codec: cid.codec, sha256Digest: sha256(bytes))
                if computed != cid { problems.append("block \(cid) is corrupted: its bytes do not hash to its CID") }
            }
            cursor = page.next
        } while cursor != nil
        return problems
    }
}
