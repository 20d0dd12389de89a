import ATCore
import ATCrypto
import ATRepo
import Foundation
import TestFixtures
import Testing

@testable import ActorStore

@Suite struct RecordsSinceRevTests {
    /// Stores `value` and indexes it at `collection/rkey` as written by revision `rev` at `indexedAt`.
    static func put(
        _ txn: ActorStoreTransactor, _ collection: String, _ rkey: String, _ value: LexValue, rev: String,
        indexedAt: String
    ) throws {
        var blocks = BlockMap()
        let cid = blocks.add(value)
        let tid = try TID(rev)
        try txn.storage.putMany(blocks, rev: tid)
        let uri = ATURI(did: txn.did, collection: try NSID(collection), rkey: try RecordKey(rkey))
        try txn.record.indexRecord(uri: uri, cid: cid, record: value, repoRev: tid, indexedAt: indexedAt)
    }

    static func post(_ text: String) -> LexValue {
        ["$type": "app.bsky.feed.post", "text": .string(text), "createdAt": "2024-01-01T00:00:00.000Z"]
    }

    @Test func returnsProfileAndPostsAfterTheRevOldestFirstAndCountsEverything() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(41)
            try await store.create(did, keypair: Secp256k1Keypair())
            try await store.transact(did) { txn throws in
                try Self.put(
                    txn, "app.bsky.feed.post", "3k2a", Self.post("old"), rev: "3kaaaaaaaaaa2",
                    indexedAt: "2024-01-01T00:00:00.000Z")
                try Self.put(
                    txn, "app.bsky.feed.post", "3k2c", Self.post("second"), rev: "3kaaaaaaaaac2",
                    indexedAt: "2024-01-03T00:00:00.000Z")
                try Self.put(
                    txn, "app.bsky.feed.post", "3k2b", Self.post("first"), rev: "3kaaaaaaaaab2",
                    indexedAt: "2024-01-02T00:00:00.000Z")
                try Self.put(
                    txn, "app.bsky.feed.like", "3k2d", ["$type": "app.bsky.feed.like"], rev: "3kaaaaaaaaad2",
                    indexedAt: "2024-01-04T00:00:00.000Z")
                try Self.put(
                    txn, "app.bsky.actor.profile", "self", ["$type": "app.bsky.actor.profile", "displayName": "New"],
                    rev: "3kaaaaaaaaae2", indexedAt: "2024-01-05T00:00:00.000Z")
            }
            let local = try await store.read(did) { try $0.record.recordsSinceRev("3kaaaaaaaaaa2") }
            #expect(local.count == 4)
            #expect(local.posts.map { $0.value["text"]?.string } == ["first", "second"])
            #expect(local.posts.map(\.indexedAt) == ["2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"])
            #expect(local.posts[0].uri.rawValue == "at://\(did)/app.bsky.feed.post/3k2b")
            #expect(local.profile?.value["displayName"]?.string == "New")

            let limited = try await store.read(did) { try $0.record.recordsSinceRev("3kaaaaaaaaaa2", limit: 1) }
            #expect(limited.count == 1)
            #expect(limited.posts.map { $0.value["text"]?.string } == ["first"])
            #expect(limited.profile == nil)

            let upToDate = try await store.read(did) { try $0.record.recordsSinceRev("3kaaaaaaaaae2") }
            #expect(upToDate == LocalRecords())

            let profile = try await store.read(did) { try $0.record.profileRecord() }
            #expect(profile?["displayName"]?.string == "New")
            await store.close()
        }
    }

    @Test func aRevOlderThanEveryRecordReturnsNothing() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(42)
            try await store.create(did, keypair: Secp256k1Keypair())
            try await store.transact(did) { txn throws in
                try Self.put(
                    txn, "app.bsky.feed.post", "3k2b", Self.post("one"), rev: "3kaaaaaaaaab2",
                    indexedAt: "2024-01-02T00:00:00.000Z")
            }
            // The AppView's rev predates everything here (a migrated account): nothing to patch in.
            let local = try await store.read(did) { try $0.record.recordsSinceRev("3kaaaaaaaaaa2") }
            #expect(local == LocalRecords())
            #expect(try await store.read(did) { try $0.record.profileRecord() } == nil)
            await store.close()
        }
    }
}
