import ATCore
import ActorStore
import BlobStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import ServiceDB
import Testing

@testable import PDSServer

/// `uploadBlob` and the blobs of record writes (disk blobstore in `<data>/blocks`): claiming, checking,
/// dereferencing, and the temporary-upload garbage collector.
@Suite struct ComAtprotoRepoBlobTests {
    typealias B = BlobTestClient
    typealias R = ComAtprotoRepoTests

    static func row(_ services: PDSServices, did: String, cid: String) async throws -> BlobMetadata? {
        let cid = try CID(cid)
        return try await services.actorStore.read(try DID(did)) { try $0.blob.metadata(cid, includeTakenDown: true) }
    }

    @Test func uploadThenRecordThenGetBlobIsByteIdentical() async throws {
        try await B.withAlice { dir, services, client, alice in
            let bytes = B.png(70_000)
            let reply = try await B.upload(client, token: alice.access, bytes)
            #expect(reply.status == .ok, "\(reply.json)")
            #expect(reply.json.keys.sorted() == ["blob"])
            let blob = try #require(reply.json["blob"] as? [String: Any])
            let cid = try B.cid(blob)
            #expect(blob["$type"] as? String == "blob")
            #expect(cid == CID.raw(hashing: bytes).description)
            #expect(blob["mimeType"] as? String == "image/png")
            #expect(blob["size"] as? Int == bytes.count)

            // Temporary until a record claims it: not served, not in permanent storage.
            #expect(B.tempFiles(dir, did: alice.did).count == 1)
            #expect(!B.exists(B.permanentFile(dir, did: alice.did, cid: cid)))
            #expect(try await Self.row(services, did: alice.did, cid: cid)?.tempKey != nil)
            let early = try await B.getBlob(client, did: alice.did, cid: cid)
            #expect(early.status == .badRequest)
            #expect(early.error == "BlobNotFound")

            let created = try await B.createPost(client, alice, images: [blob])
            #expect(created.status == .ok, "\(created.json)")
            #expect(created.json["validationStatus"] as? String == "valid")
            #expect(B.tempFiles(dir, did: alice.did).isEmpty)
            #expect(B.exists(B.permanentFile(dir, did: alice.did, cid: cid)))
            #expect(try await Self.row(services, did: alice.did, cid: cid)?.tempKey == nil)

            let fetched = try await B.getBlob(client, did: alice.did, cid: cid)
            #expect(fetched.status == .ok)
            #expect(fetched.body == bytes)
            #expect(fetched.headers[.contentType] == "image/png")
            #expect(fetched.headers[.contentLength] == String(bytes.count))
            #expect(fetched.headers[HTTPField.Name("x-content-type-options")!] == "nosniff")
            #expect(fetched.headers[.contentDisposition] == "attachment; filename=\"\(cid)\"")
            #expect(fetched.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")

            let listed = try await client.execute(
                uri: "/xrpc/com.atproto.sync.listBlobs?did=\(alice.did)", method: .get
            ) { try ComAtprotoServerTests.json($0.body) }
            #expect(listed["cids"] as? [String] == [cid])
        }
    }

    @Test func mismatchedSizeOrMimeTypeIsRefusedAndNothingIsCommitted() async throws {
        try await B.withAlice { dir, services, client, alice in
            let blob = try await B.uploaded(client, token: alice.access, B.png(5000))
            let cid = try B.cid(blob)
            let did = try DID(alice.did)
            let rootBefore = try await services.actorStore.read(did) { try $0.repo.root()?.cid }

            var wrongSize = blob
            wrongSize["size"] = 5001
            let size = try await B.createPost(client, alice, images: [wrongSize])
            #expect(size.status == .badRequest)
            #expect(size.error == "InvalidSize")
            var wrongType = blob
            wrongType["mimeType"] = "image/jpeg"
            let type = try await B.createPost(client, alice, images: [wrongType])
            #expect(type.status == .badRequest)
            #expect(type.error == "InvalidMimeType")

            // No commit, no record, the blob still a temporary upload in temporary storage.
            #expect(try await services.actorStore.read(did) { try $0.repo.root()?.cid } == rootBefore)
            #expect(try await services.actorStore.read(did) { try $0.record.recordCount() } == 0)
            #expect(try await Self.row(services, did: alice.did, cid: cid)?.tempKey != nil)
            #expect(B.tempFiles(dir, did: alice.did).count == 1)
            #expect(!B.exists(B.permanentFile(dir, did: alice.did, cid: cid)))

            // The right reference still works afterwards.
            #expect(try await B.createPost(client, alice, images: [blob]).status == .ok)
        }
    }

    @Test func unknownBlobIsBlobNotFoundAndLegacyReferencesAreRefused() async throws {
        try await B.withAlice { dir, services, client, alice in
            let unknown = CID.raw(hashing: B.png(100, seed: 9)).description
            let blob: [String: Any] = [
                "$type": "blob", "ref": ["$link": unknown], "mimeType": "image/png", "size": 100,
            ]
            let missing = try await B.createPost(client, alice, images: [blob])
            #expect(missing.status == .badRequest)
            #expect(missing.error == "BlobNotFound")

            let uploaded = try await B.uploaded(client, token: alice.access, B.png(100))
            let legacy: [String: Any] = ["cid": try B.cid(uploaded), "mimeType": "image/png"]
            let refused = try await B.createPost(client, alice, images: [legacy], validate: false)
            #expect(refused.status == .badRequest)
            #expect(refused.error == "InvalidRequest")
            #expect((refused.json["message"] as? String)?.contains("Legacy blob") == true)
        }
    }

    @Test func uploadOverTheLimitIsBlobTooLargeAndLeavesNothing() async throws {
        try await B.withAlice(["PDS_BLOB_UPLOAD_LIMIT": "1000"]) { dir, services, client, alice in
            let tooLarge = try await B.upload(client, token: alice.access, B.png(2000))
            #expect(tooLarge.status == .badRequest)
            #expect(tooLarge.error == "BlobTooLarge")
            #expect(B.tempFiles(dir, did: alice.did).isEmpty)
            #expect(try await services.actorStore.read(try DID(alice.did)) { try $0.blob.blobCount() } == 0)

            let atLimit = try await B.upload(client, token: alice.access, B.png(1000))
            #expect(atLimit.status == .ok, "\(atLimit.json)")
        }
    }

    @Test func uploadNeedsAnAccountThatIsNotTakenDown() async throws {
        try await B.withAlice { dir, services, client, alice in
            let anonymous = try await B.upload(client, token: nil, B.png(100))
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.error == "AuthMissing")

            // A service JWT for this method, issued by the account itself (as a video service would hold).
            let granted = try await client.execute(
                uri: "/xrpc/com.atproto.server.getServiceAuth?aud=\(services.configuration.service.did)"
                    + "&lxm=com.atproto.repo.uploadBlob",
                method: .get, headers: ComAtprotoServerTests.bearer(alice.access)
            ) { try ComAtprotoServerTests.json($0.body) }
            let serviceToken = try #require(granted["token"] as? String)
            let viaService = try await B.upload(client, token: serviceToken, B.png(100))
            #expect(viaService.status == .ok, "\(viaService.json)")
            let other = try await client.execute(
                uri: "/xrpc/com.atproto.server.getServiceAuth?aud=\(services.configuration.service.did)"
                    + "&lxm=com.atproto.repo.createRecord",
                method: .get, headers: ComAtprotoServerTests.bearer(alice.access)
            ) { try ComAtprotoServerTests.json($0.body) }
            let wrongMethod = try await B.upload(client, token: try #require(other["token"] as? String), B.png(10))
            #expect(wrongMethod.status == .unauthorized)
            #expect(wrongMethod.error == "BadJwtLexiconMethod")

            try await services.serviceDB.setTakedown(did: try DID(alice.did), ref: "mod")
            let takenDown = try await B.upload(client, token: alice.access, B.png(100))
            #expect(takenDown.status == .unauthorized)
            #expect(takenDown.error == "AccountTakedown")
        }
    }

    @Test func reuploadOfAStoredBlobKeepsNoSecondCopy() async throws {
        try await B.withAlice { dir, services, client, alice in
            let bytes = B.png(3000)
            let blob = try await B.uploaded(client, token: alice.access, bytes)
            #expect(try await B.createPost(client, alice, images: [blob]).status == .ok)
            let again = try await B.uploaded(client, token: alice.access, bytes)
            #expect(try B.cid(again) == (try B.cid(blob)))
            #expect(again["mimeType"] as? String == "image/png")
            #expect(B.tempFiles(dir, did: alice.did).isEmpty)
        }
    }

    @Test func deletingTheRecordDeletesTheBlob() async throws {
        try await B.withAlice { dir, services, client, alice in
            let blob = try await B.uploaded(client, token: alice.access, B.png(4000))
            let cid = try B.cid(blob)
            let created = try await B.createPost(client, alice, images: [blob])
            let uri = try #require(created.json["uri"] as? String)
            #expect(B.exists(B.permanentFile(dir, did: alice.did, cid: cid)))

            #expect(try await B.deleteRecord(client, alice, uri: uri).status == .ok)
            #expect(try await Self.row(services, did: alice.did, cid: cid) == nil)
            #expect(!B.exists(B.permanentFile(dir, did: alice.did, cid: cid)))
            let gone = try await B.getBlob(client, did: alice.did, cid: cid)
            #expect(gone.status == .badRequest)
            #expect(gone.error == "BlobNotFound")
        }
    }

    @Test func aBlobSharedByTwoRecordsSurvivesDeletingOne() async throws {
        try await B.withAlice { dir, services, client, alice in
            let bytes = B.png(4000)
            let blob = try await B.uploaded(client, token: alice.access, bytes)
            let cid = try B.cid(blob)
            let first = try #require(try await B.createPost(client, alice, images: [blob]).json["uri"] as? String)
            let second = try #require(try await B.createPost(client, alice, images: [blob]).json["uri"] as? String)

            #expect(try await B.deleteRecord(client, alice, uri: first).status == .ok)
            #expect(try await B.getBlob(client, did: alice.did, cid: cid).body == bytes)
            #expect(B.exists(B.permanentFile(dir, did: alice.did, cid: cid)))

            // An update that drops the reference dereferences it like a delete.
            let rkey = String(second.split(separator: "/").last!)
            let updated = try await R.call(
                client, "putRecord", token: alice.access,
                body: [
                    "repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey,
                    "record": R.post("no image any more"),
                ])
            #expect(updated.status == .ok, "\(updated.json)")
            #expect(try await Self.row(services, did: alice.did, cid: cid) == nil)
            #expect(!B.exists(B.permanentFile(dir, did: alice.did, cid: cid)))
        }
    }

    @Test func applyWritesClaimsAndDereferencesInOneCommit() async throws {
        try await B.withAlice { dir, services, client, alice in
            let old = try await B.uploaded(client, token: alice.access, B.png(1000, seed: 1))
            let new = try await B.uploaded(client, token: alice.access, B.png(1000, seed: 2))
            let created = try await B.createPost(client, alice, images: [old])
            let rkey = String(try #require(created.json["uri"] as? String).split(separator: "/").last!)

            let applied = try await R.call(
                client, "applyWrites", token: alice.access,
                body: [
                    "repo": alice.did,
                    "writes": [
                        [
                            "$type": "com.atproto.repo.applyWrites#update", "collection": "app.bsky.feed.post",
                            "rkey": rkey, "value": B.post("swapped", images: [new]),
                        ]
                    ],
                ])
            #expect(applied.status == .ok, "\(applied.json)")
            #expect(try await Self.row(services, did: alice.did, cid: try B.cid(old)) == nil)
            #expect(try await Self.row(services, did: alice.did, cid: try B.cid(new))?.tempKey == nil)
            #expect(try await B.getBlob(client, did: alice.did, cid: try B.cid(new)).status == .ok)
        }
    }

    @Test func garbageCollectionDeletesOldUnclaimedUploadsOnly() async throws {
        let clock = TestWallClock(Date())
        try await B.withAlice(now: clock.function) { dir, services, client, alice in
            let did = try DID(alice.did)
            let old = try await B.uploaded(client, token: alice.access, B.png(1000, seed: 1))
            let claimed = try await B.uploaded(client, token: alice.access, B.png(1000, seed: 2))
            #expect(try await B.createPost(client, alice, images: [claimed]).status == .ok)
            // An upload whose bytes an aborted record write already moved to permanent storage.
            let moved = try await B.uploaded(client, token: alice.access, B.png(1000, seed: 3))
            let movedRow = try #require(try await Self.row(services, did: alice.did, cid: try B.cid(moved)))
            try await services.blobstore(did).makePermanent(
                tempKey: try BlobTempKey(try #require(movedRow.tempKey)), cid: movedRow.cid)
            // A stored upload no row knows (a crash between storing and recording).
            let orphan = try await services.blobstore(did).putTemp(
                AsyncThrowingStream<ByteBuffer, any Error> { continuation in
                    continuation.yield(ByteBuffer(bytes: B.png(10, seed: 4)))
                    continuation.finish()
                })

            // Nothing is old enough yet.
            #expect(await services.blobTempCollector.sweep() == .init(actors: 1))

            clock.advance(by: .seconds(25 * 3600))
            let young = try await B.uploaded(client, token: alice.access, B.png(1000, seed: 5))
            let report = await services.blobTempCollector.sweep()
            #expect(report == .init(actors: 1, expiredUploads: 2, orphanedUploads: 1))

            #expect(try await Self.row(services, did: alice.did, cid: try B.cid(old)) == nil)
            #expect(try await Self.row(services, did: alice.did, cid: try B.cid(moved)) == nil)
            #expect(!B.exists(B.permanentFile(dir, did: alice.did, cid: try B.cid(moved))))
            #expect(try await !services.blobstore(did).hasTemp(orphan))
            let youngRow = try #require(try await Self.row(services, did: alice.did, cid: try B.cid(young)))
            #expect(B.tempFiles(dir, did: alice.did) == [try #require(youngRow.tempKey)])
            #expect(try await B.getBlob(client, did: alice.did, cid: try B.cid(claimed)).status == .ok)

            // The young upload can still be claimed; the collected one can not.
            #expect(try await B.createPost(client, alice, images: [young]).status == .ok)
            let expired = try await B.createPost(client, alice, images: [old])
            #expect(expired.error == "BlobNotFound")
        }
    }
}
