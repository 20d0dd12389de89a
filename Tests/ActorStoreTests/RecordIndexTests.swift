import ATCore
import ATCrypto
import ATRepo
import Foundation
import GRDB
import TestFixtures
import Testing

@testable import ActorStore

@Suite struct RecordIndexTests {
    static let rev = try! TID("3kabcdefghij2")

    /// Stores `value` as a block and indexes it at `collection/rkey`.
    @discardableResult
    static func put(
        _ txn: ActorStoreTransactor,
        _ collection: String,
        _ rkey: String,
        _ value: LexValue,
        action: RecordTransactor.Action = .create
    ) throws -> (ATURI, CID) {
        var blocks = BlockMap()
        let cid = blocks.add(value)
        try txn.storage.putMany(blocks, rev: rev)
        let uri = ATURI(did: txn.did, collection: try NSID(collection), rkey: try RecordKey(rkey))
        try txn.record.indexRecord(uri: uri, cid: cid, record: value, action: action, repoRev: rev)
        return (uri, cid)
    }

    static func post(_ text: String) -> LexValue {
        ["$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2024-01-01T00:00:00.000Z"]
    }

    @Test func listRecordsPagesByRkeyWithCursorAndReverse() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(1)
            try await store.create(did, keypair: Secp256k1Keypair())
            let rkeys = ["3k2a", "3k2b", "3k2c", "3k2d", "3k2e"]
            try await store.transact(did) { txn throws in
                for rkey in rkeys { try Self.put(txn, "app.bsky.feed.post", rkey, Self.post(rkey)) }
                try Self.put(txn, "app.bsky.feed.like", "3k2z", ["$type": "app.bsky.feed.like"])
            }
            let pages = try await store.read(did) { reader throws in
                let r = reader.record
                let first = try r.listRecords(collection: "app.bsky.feed.post", limit: 2)
                let second = try r.listRecords(collection: "app.bsky.feed.post", limit: 2, cursor: first.last!.uri.recordKey!.rawValue)
                let reversed = try r.listRecords(collection: "app.bsky.feed.post", limit: 2, reverse: true)
                let reversedNext = try r.listRecords(
                    collection: "app.bsky.feed.post", limit: 10, reverse: true, cursor: reversed.last!.uri.recordKey!.rawValue)
                let bounded = try r.listRecords(collection: "app.bsky.feed.post", limit: 10, rkeyStart: "3k2a", rkeyEnd: "3k2e")
                // A cursor takes precedence over the deprecated bounds.
                let cursorWins = try r.listRecords(
                    collection: "app.bsky.feed.post", limit: 10, cursor: "3k2b", rkeyStart: "3k2c")
                return [first, second, reversed, reversedNext, bounded, cursorWins].map { $0.map { $0.uri.recordKey!.rawValue } }
            }
            #expect(pages[0] == ["3k2e", "3k2d"])
            #expect(pages[1] == ["3k2c", "3k2b"])
            #expect(pages[2] == ["3k2a", "3k2b"])
            #expect(pages[3] == ["3k2c", "3k2d", "3k2e"])
            #expect(pages[4] == ["3k2d", "3k2c", "3k2b"])
            #expect(pages[5] == ["3k2a"])
            let counts = try await store.read(did) { (try $0.record.recordCount(), try $0.record.listCollections()) }
            #expect(counts.0 == 6)
            #expect(counts.1 == ["app.bsky.feed.like", "app.bsky.feed.post"])
            await store.close()
        }
    }

    @Test func getRecordUpdateDeleteAndTakedown() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(2)
            try await store.create(did, keypair: Secp256k1Keypair())
            let (uri, firstCID) = try await store.transact(did) { try Self.put($0, "app.bsky.feed.post", "3k2a", Self.post("one")) }
            let (_, secondCID) = try await store.transact(did) {
                try Self.put($0, "app.bsky.feed.post", "3k2a", Self.post("two"), action: .update)
            }
            try await store.read(did) { reader throws in
                let record = try #require(try reader.record.getRecord(uri: uri))
                #expect(record.cid == secondCID)
                #expect(record.value["text"]?.string == "two")
                #expect(try reader.record.getRecord(uri: uri, cid: firstCID) == nil)
                #expect(try reader.record.hasRecord(uri: uri, cid: secondCID))
                #expect(try reader.record.currentRecordCID(uri: uri) == secondCID)
                #expect(try reader.record.takedownRef(uri: uri) == .some(nil))
            }
            try await store.transact(did) { try $0.record.updateTakedown(uri: uri, takedownRef: "mod-1") }
            try await store.read(did) { reader throws in
                #expect(try reader.record.getRecord(uri: uri) == nil)
                #expect(try reader.record.getRecord(uri: uri, includeSoftDeleted: true)?.takedownRef == "mod-1")
                #expect(try !reader.record.hasRecord(uri: uri))
                #expect(try reader.record.listRecords(collection: "app.bsky.feed.post", limit: 10).isEmpty)
            }
            try await store.transact(did) { try $0.record.deleteRecord(uri: uri) }
            #expect(try await store.read(did) { try $0.record.takedownRef(uri: uri) } == nil)
            await store.close()
        }
    }

    @Test func backlinksForFollowsAndLikes() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(3)
            try await store.create(did, keypair: Secp256k1Keypair())
            let alice = "did:plc:aliceaaaaaaaaaaaaaaaaaaa"
            let post = "at://did:plc:bobbbbbbbbbbbbbbbbbbbbbb/app.bsky.feed.post/3k2a"
            let follow: LexValue = ["$type": "app.bsky.graph.follow", "subject": .string(alice)]
            let like: LexValue = ["$type": "app.bsky.feed.like", "subject": ["uri": .string(post), "cid": "bafy"]]
            let (followURI, likeURI) = try await store.transact(did) { txn throws in
                let f = try Self.put(txn, "app.bsky.graph.follow", "3k3a", follow).0
                let l = try Self.put(txn, "app.bsky.feed.like", "3k3b", like).0
                // Neither a post nor a follow of a non-DID makes a backlink.
                try Self.put(txn, "app.bsky.feed.post", "3k3c", Self.post("hi"))
                try Self.put(txn, "app.bsky.graph.follow", "3k3d", ["$type": "app.bsky.graph.follow", "subject": "nope"])
                return (f, l)
            }
            try await store.read(did) { reader throws in
                let follows = try reader.record.backlinks(collection: "app.bsky.graph.follow", path: "subject", linkTo: alice)
                #expect(follows.map(\.uri) == [followURI])
                let likes = try reader.record.backlinks(collection: "app.bsky.feed.like", path: "subject.uri", linkTo: post)
                #expect(likes.map(\.uri) == [likeURI])
                let second = ATURI(did: did, collection: try NSID("app.bsky.graph.follow"), rkey: try RecordKey("3k3z"))
                #expect(try reader.record.backlinkConflicts(uri: second, record: follow) == [followURI])
                #expect(try Int.fetchOne(reader.db, sql: "SELECT count(*) FROM backlink") == 2)
            }
            // Updating the follow to another subject replaces its backlink; deleting removes it.
            let bob = "did:plc:bobbbbbbbbbbbbbbbbbbbbbb"
            _ = try await store.transact(did) { txn throws in
                try Self.put(txn, "app.bsky.graph.follow", "3k3a", ["$type": "app.bsky.graph.follow", "subject": .string(bob)], action: .update)
            }
            try await store.read(did) { reader throws in
                #expect(try reader.record.backlinks(collection: "app.bsky.graph.follow", path: "subject", linkTo: alice).isEmpty)
                #expect(try reader.record.backlinks(collection: "app.bsky.graph.follow", path: "subject", linkTo: bob).count == 1)
            }
            try await store.transact(did) { try $0.record.deleteRecord(uri: followURI) }
            #expect(try await store.read(did) { try Int.fetchOne($0.db, sql: "SELECT count(*) FROM backlink") } == 1)
            await store.close()
        }
    }

    @Test func indexingRequiresADIDCollectionAndRkey() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(4)
            try await store.create(did, keypair: Secp256k1Keypair())
            let noRkey = try ATURI("at://\(did.rawValue)/app.bsky.feed.post")
            await #expect(throws: ActorStoreError.invalidRecordURI(noRkey.rawValue)) {
                try await store.transact(did) { txn throws in
                    try txn.record.indexRecord(uri: noRkey, cid: DAGCBOR.cid(of: .null), record: nil, repoRev: Self.rev)
                }
            }
            await store.close()
        }
    }
}
