import ATCore
import ATCrypto
import ATRepo
import Foundation

@testable import ActorStore

let postCollection = try! NSID("app.bsky.feed.post")
let followCollection = try! NSID("app.bsky.graph.follow")
let likeCollection = try! NSID("app.bsky.feed.like")

/// A post record with `text`.
func post(_ text: String) -> LexValue {
    ["$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2024-01-01T00:00:00.000Z"]
}

/// A follow of `subject`.
func follow(_ subject: DID) -> LexValue {
    ["$type": "app.bsky.graph.follow", "subject": .string(subject.rawValue), "createdAt": "2024-01-01T00:00:00.000Z"]
}

/// A like of `uri`.
func like(_ uri: String) -> LexValue {
    [
        "$type": "app.bsky.feed.like", "createdAt": "2024-01-01T00:00:00.000Z",
        "subject": ["uri": .string(uri), "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"],
    ]
}

/// A record key from a string literal.
func rkey(_ string: String) -> RecordKey { try! RecordKey(string) }

/// Creates `did`'s store and its genesis commit; returns the key.
@discardableResult
func createRepoActor(_ store: ActorStore, _ did: DID, writes: [RepoWrite] = []) async throws -> Secp256k1Keypair {
    let keypair = Secp256k1Keypair()
    try await store.create(did, keypair: keypair)
    _ = try await store.transact(did) { try $0.repo.createRepo(writes: writes) }
    return keypair
}

/// Applies writes through the store as one commit.
@discardableResult
func commit(_ store: ActorStore, _ did: DID, _ writes: [RepoWrite], swapCommit: CID? = nil) async throws -> CommitData {
    try await store.transact(did) { txn in try txn.repo.processWrites(writes, swapCommit: swapCommit) }
}

/// Exports `did`'s repo through the store and verifies it with ATRepo against `key`; returns the records by path.
func verifiedRecords(_ store: ActorStore, _ did: DID, key: some VerifyingKey) async throws -> [String: CID] {
    let car = try await store.read(did) { try $0.repo.exportCAR() }
    let verified = try RepoVerifier.verify(car: car, did: did, key: key)
    var records: [String: CID] = [:]
    for record in verified.records { records[record.key] = record.cid }
    return records
}

/// The record index as `collection/rkey → CID`.
func indexedRecords(_ store: ActorStore, _ did: DID) async throws -> [String: CID] {
    try await store.read(did) { reader in
        var records: [String: CID] = [:]
        for (uri, cid) in try reader.record.listAll() {
            records["\(uri.collection!.rawValue)/\(uri.recordKey!.rawValue)"] = cid
        }
        return records
    }
}
