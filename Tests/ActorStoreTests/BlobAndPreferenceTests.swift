import ATCore
import ATCrypto
import Foundation
import TestFixtures
import Testing

@testable import ActorStore

@Suite struct BlobMetadataTests {
    static func blobCID(_ n: Int) -> CID { CID.raw(hashing: Array("blob \(n)".utf8)) }

    @Test func untetheredPermanentReferencedAndDereferenced() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(1)
            try await store.create(did, keypair: Secp256k1Keypair())
            let (b1, b2, b3) = (Self.blobCID(1), Self.blobCID(2), Self.blobCID(3))
            let post1 = ATURI(did: did, collection: try NSID("app.bsky.feed.post"), rkey: try RecordKey("3k2a"))
            let post2 = ATURI(did: did, collection: try NSID("app.bsky.feed.post"), rkey: try RecordKey("3k2b"))
            try await store.transact(did) { txn throws in
                try txn.blob.trackUntetheredBlob(cid: b1, mimeType: "image/png", size: 10, tempKey: "tmp1")
                try txn.blob.trackUntetheredBlob(cid: b2, mimeType: "image/jpeg", size: 20, tempKey: "tmp2")
                // Re-uploading a temporary blob replaces its temp key.
                try txn.blob.trackUntetheredBlob(cid: b1, mimeType: "image/png", size: 10, tempKey: "tmp1b")
                #expect(try txn.blob.makePermanent(b1) == "tmp1b")
                #expect(try txn.blob.makePermanent(b1) == nil)
                // Re-uploading a permanent blob leaves it permanent.
                try txn.blob.trackUntetheredBlob(cid: b1, mimeType: "image/png", size: 10, tempKey: "tmp1c")
                #expect(try txn.blobReader.metadata(b1)?.tempKey == nil)
                try txn.blob.associate([b1, b2], with: post1)
                try txn.blob.associate([b2, b3], with: post2)
            }
            try await store.read(did) { reader throws in
                let meta = try #require(try reader.blob.metadata(b2))
                #expect(meta.mimeType == "image/jpeg" && meta.size == 20 && meta.tempKey == "tmp2")
                #expect(try reader.blob.blobCount() == 2)
                #expect(try reader.blob.recordBlobCount() == 3)
                #expect(try reader.blob.records(referencing: b2) == [post1, post2])
                #expect(try reader.blob.blobs(of: post1) == [b1, b2].sorted { $0.description < $1.description })
                #expect(try reader.blob.listBlobs(limit: 10) == [b1, b2, b3].sorted { $0.description < $1.description })
                let missing = try reader.blob.listMissingBlobs(limit: 10)
                #expect(missing.map(\.cid) == [b3])
                #expect(missing.map(\.recordURI) == [post2])
            }
            // Deleting post1 dereferences b1 (deleted) but not b2 (still used by post2).
            let deleted = try await store.transact(did) { try $0.blob.deleteDereferencedBlobs(of: [post1]) }
            #expect(deleted == [b1])
            try await store.transact(did) { try $0.blob.updateTakedown(b2, takedownRef: "mod") }
            try await store.read(did) { reader throws in
                #expect(try reader.blob.metadata(b1) == nil)
                #expect(try reader.blob.metadata(b2) == nil)
                #expect(try reader.blob.metadata(b2, includeTakenDown: true)?.takedownRef == "mod")
            }
            await store.close()
        }
    }

    @Test func listBlobsSinceRevisionAndCursor() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(2)
            try await store.create(did, keypair: Secp256k1Keypair())
            let revs = [try TID("3kaaaaaaaaaa2"), try TID("3kaaaaaaaaab2")]
            let cids = (0..<4).map(Self.blobCID).sorted { $0.description < $1.description }
            try await store.transact(did) { txn throws in
                for (i, cid) in cids.enumerated() {
                    let uri = ATURI(did: did, collection: try NSID("app.bsky.feed.post"), rkey: try RecordKey("r\(i)"))
                    try txn.record.indexRecord(uri: uri, cid: DAGCBOR.cid(of: .integer(Int64(i))), record: nil, repoRev: revs[i % 2])
                    try txn.blob.associate([cid], with: uri)
                }
            }
            try await store.read(did) { reader throws in
                #expect(try reader.blob.listBlobs(since: revs[0], limit: 10) == [cids[1], cids[3]])
                #expect(try reader.blob.listBlobs(cursor: cids[1], limit: 10) == [cids[2], cids[3]])
                #expect(try reader.blob.listBlobs(limit: 2) == [cids[0], cids[1]])
            }
            await store.close()
        }
    }
}

@Suite struct PreferenceTests {
    static func pref(_ type: String, _ extra: String = "") throws -> JSONValue {
        try JSONValue(parsing: #"{"$type":"\#(type)"\#(extra)}"#)
    }

    @Test func putReplacesTheNamespaceAndGetFiltersIt() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(3)
            try await store.create(did, keypair: Secp256k1Keypair())
            let adult = try Self.pref("app.bsky.actor.defs#adultContentPref", #","enabled":true"#)
            let personal = try Self.pref("app.bsky.actor.defs#personalDetailsPref", #","birthDate":"2000-01-01""#)
            let other = try Self.pref("com.example.pref")
            try await store.transact(did) { txn throws in
                try txn.pref.putPreferences([adult, personal], namespace: "app.bsky", fullAccess: true)
                try txn.pref.putPreferences([other], namespace: "com.example", fullAccess: true)
            }
            let full = try await store.read(did) { try $0.pref.preferences(namespace: "app.bsky", fullAccess: true) }
            #expect(full == [adult, personal])
            let limited = try await store.read(did) { try $0.pref.preferences(namespace: "app.bsky", fullAccess: false) }
            #expect(limited == [adult])

            // An app-password session replaces what it can see and keeps the full-access-only preference.
            let adultOff = try Self.pref("app.bsky.actor.defs#adultContentPref", #","enabled":false"#)
            try await store.transact(did) { try $0.pref.putPreferences([adultOff], namespace: "app.bsky", fullAccess: false) }
            let after = try await store.read(did) { try $0.pref.preferences(namespace: "app.bsky", fullAccess: true) }
            #expect(Set(after) == [personal, adultOff])
            #expect(try await store.read(did) { try $0.pref.preferences(namespace: "com.example", fullAccess: true) } == [other])
            await store.close()
        }
    }

    @Test func invalidPutsAreRefusedBeforeWriting() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(4)
            try await store.create(did, keypair: Secp256k1Keypair())
            let adult = try Self.pref("app.bsky.actor.defs#adultContentPref")
            try await store.transact(did) { try $0.pref.putPreferences([adult], namespace: "app.bsky", fullAccess: true) }
            await #expect(throws: ActorStoreError.preferenceNotInNamespace("com.example.x")) {
                try await store.transact(did) { txn throws in
                    try txn.pref.putPreferences([try Self.pref("com.example.x")], namespace: "app.bsky", fullAccess: true)
                }
            }
            await #expect(throws: ActorStoreError.preferenceRequiresFullAccess("app.bsky.actor.defs#personalDetailsPref")) {
                try await store.transact(did) { txn throws in
                    try txn.pref.putPreferences(
                        [try Self.pref("app.bsky.actor.defs#personalDetailsPref")], namespace: "app.bsky", fullAccess: false)
                }
            }
            await #expect(throws: ActorStoreError.preferenceMissingType) {
                try await store.transact(did) { txn throws in
                    try txn.pref.putPreferences([.object([:])], namespace: "app.bsky", fullAccess: true)
                }
            }
            #expect(try await store.read(did) { try $0.pref.preferences(namespace: "app.bsky", fullAccess: true) } == [adult])
            await store.close()
        }
    }
}
