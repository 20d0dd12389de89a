import ATCore
import ActorStore
import BlobStore
import Foundation
import HTTPTypes
import Hummingbird
import PDSTestSupport
import ServiceDB
import Testing

@testable import PDSServer

/// `uploadBlob` and the blobs of record writes (disk blobstore in `<data>/blocks`): claiming, checking,
/// dereferencing, and the temporary-upload garbage collector.
@Suite struct ComAtprotoRepoBlobTests {
    static func row(_ services: PDSServices, did: String, cid: String) async throws -> BlobMetadata? {
        let cid = try CID(cid)
        return try await services.actorStore.read(try DID(did)) { try $0.blob.metadata(cid, includeTakenDown: true) }
    }

    @Test func uploadThenRecordThenGetBlobIsByteIdentical() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let bytes = pngBytes(70_000)
            let reply = try await xrpc.uploadBlob(bytes, token: alice.accessJwt)
            #expect(reply.status == .ok, "\(reply.json)")
            #expect(reply.json.keys.sorted() == ["blob"])
            let blob = try reply.decode(XRPCUploadBlobOutput.self).blob
            let cid = blob.cid
            #expect(blob.type == "blob")
            #expect(cid == CID.raw(hashing: bytes).description)
            #expect(blob.mimeType == "image/png")
            #expect(blob.size == bytes.count)

            // Temporary until a record claims it: not served, not in permanent storage.
            #expect(files.tempUploads(did: alice.did).count == 1)
            #expect(!files.hasPermanent(did: alice.did, cid: cid))
            #expect(try await Self.row(services, did: alice.did, cid: cid)?.tempKey != nil)
            let early = try await xrpc.getBlob(did: alice.did, cid: cid)
            #expect(early.status == .badRequest)
            #expect(early.error == "BlobNotFound")

            let created = try await xrpc.createPost(alice, images: [blob])
            #expect(created.status == .ok, "\(created.json)")
            #expect(created.json["validationStatus"] as? String == "valid")
            #expect(files.tempUploads(did: alice.did).isEmpty)
            #expect(files.hasPermanent(did: alice.did, cid: cid))
            #expect(try await Self.row(services, did: alice.did, cid: cid)?.tempKey == nil)

            let fetched = try await xrpc.getBlob(did: alice.did, cid: cid)
            #expect(fetched.status == .ok)
            #expect(fetched.body == bytes)
            #expect(fetched.headers[.contentType] == "image/png")
            #expect(fetched.headers[.contentLength] == String(bytes.count))
            #expect(fetched.headers[HTTPField.Name("x-content-type-options")!] == "nosniff")
            #expect(fetched.headers[.contentDisposition] == "attachment; filename=\"\(cid)\"")
            #expect(fetched.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")

            let listed = try await xrpc.call("com.atproto.sync.listBlobs", query: "did=\(alice.did)").jsonObject()
            #expect(listed["cids"] as? [String] == [cid])
        }
    }

    @Test func mismatchedSizeOrMimeTypeIsRefusedAndNothingIsCommitted() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let blob = try await xrpc.uploadedBlob(pngBytes(5000), token: alice.accessJwt)
            let cid = blob.cid
            let did = try DID(alice.did)
            let rootBefore = try await services.actorStore.read(did) { try $0.repo.root()?.cid }

            var wrongSize = blob
            wrongSize.size = 5001
            let size = try await xrpc.createPost(alice, images: [wrongSize])
            #expect(size.status == .badRequest)
            #expect(size.error == "InvalidSize")
            var wrongType = blob
            wrongType.mimeType = "image/jpeg"
            let type = try await xrpc.createPost(alice, images: [wrongType])
            #expect(type.status == .badRequest)
            #expect(type.error == "InvalidMimeType")

            // No commit, no record, the blob still a temporary upload in temporary storage.
            #expect(try await services.actorStore.read(did) { try $0.repo.root()?.cid } == rootBefore)
            #expect(try await services.actorStore.read(did) { try $0.record.recordCount() } == 0)
            #expect(try await Self.row(services, did: alice.did, cid: cid)?.tempKey != nil)
            #expect(files.tempUploads(did: alice.did).count == 1)
            #expect(!files.hasPermanent(did: alice.did, cid: cid))

            // The right reference still works afterwards.
            #expect(try await xrpc.createPost(alice, images: [blob]).status == .ok)
        }
    }

    @Test func unknownBlobIsBlobNotFoundAndLegacyReferencesAreRefused() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let unknown = CID.raw(hashing: pngBytes(100, seed: 9)).description
            let blob = XRPCBlobRef(cid: unknown, mimeType: "image/png", size: 100)
            let missing = try await xrpc.createPost(alice, images: [blob])
            #expect(missing.status == .badRequest)
            #expect(missing.error == "BlobNotFound")

            let uploaded = try await xrpc.uploadedBlob(pngBytes(100), token: alice.accessJwt)
            let legacy: [String: Any] = ["cid": uploaded.cid, "mimeType": "image/png"]
            let refused = try await xrpc.createPost(alice, images: [legacy], validate: false)
            #expect(refused.status == .badRequest)
            #expect(refused.error == "InvalidRequest")
            #expect((refused.json["message"] as? String)?.contains("Legacy blob") == true)
        }
    }

    @Test func uploadOverTheLimitIsBlobTooLargeAndLeavesNothing() async throws {
        try await TestApplication.withAccount(["PDS_BLOB_UPLOAD_LIMIT": "1000"]) { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let tooLarge = try await xrpc.uploadBlob(pngBytes(2000), token: alice.accessJwt)
            #expect(tooLarge.status == .badRequest)
            #expect(tooLarge.error == "BlobTooLarge")
            #expect(files.tempUploads(did: alice.did).isEmpty)
            #expect(try await services.actorStore.read(try DID(alice.did)) { try $0.blob.blobCount() } == 0)

            let atLimit = try await xrpc.uploadBlob(pngBytes(1000), token: alice.accessJwt)
            #expect(atLimit.status == .ok, "\(atLimit.json)")
        }
    }

    @Test func uploadNeedsAnAccountThatIsNotTakenDown() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let anonymous = try await xrpc.uploadBlob(pngBytes(100), token: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.error == "AuthMissing")

            // A service JWT for this method, issued by the account itself (as a video service would hold).
            let granted = try await xrpc.call(
                "com.atproto.server.getServiceAuth", token: alice.accessJwt,
                query: "aud=\(services.configuration.service.did)&lxm=com.atproto.repo.uploadBlob"
            ).jsonObject()
            let serviceToken = try #require(granted["token"] as? String)
            let viaService = try await xrpc.uploadBlob(pngBytes(100), token: serviceToken)
            #expect(viaService.status == .ok, "\(viaService.json)")
            let other = try await xrpc.call(
                "com.atproto.server.getServiceAuth", token: alice.accessJwt,
                query: "aud=\(services.configuration.service.did)&lxm=com.atproto.repo.createRecord"
            ).jsonObject()
            let wrongMethod = try await xrpc.uploadBlob(pngBytes(10), token: try #require(other["token"] as? String))
            #expect(wrongMethod.status == .unauthorized)
            #expect(wrongMethod.error == "BadJwtLexiconMethod")

            try await services.serviceDB.setTakedown(did: try DID(alice.did), ref: "mod")
            let takenDown = try await xrpc.uploadBlob(pngBytes(100), token: alice.accessJwt)
            #expect(takenDown.status == .unauthorized)
            #expect(takenDown.error == "AccountTakedown")
        }
    }

    @Test func reuploadOfAStoredBlobKeepsNoSecondCopy() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let bytes = pngBytes(3000)
            let blob = try await xrpc.uploadedBlob(bytes, token: alice.accessJwt)
            #expect(try await xrpc.createPost(alice, images: [blob]).status == .ok)
            let again = try await xrpc.uploadedBlob(bytes, token: alice.accessJwt)
            #expect(again.cid == blob.cid)
            #expect(again.mimeType == "image/png")
            #expect(files.tempUploads(did: alice.did).isEmpty)
        }
    }

    @Test func deletingTheRecordDeletesTheBlob() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let blob = try await xrpc.uploadedBlob(pngBytes(4000), token: alice.accessJwt)
            let cid = blob.cid
            let created = try await xrpc.createPost(alice, images: [blob])
            let uri = try #require(created.json["uri"] as? String)
            #expect(files.hasPermanent(did: alice.did, cid: cid))

            #expect(try await xrpc.deleteRecord(alice, uri: uri).status == .ok)
            #expect(try await Self.row(services, did: alice.did, cid: cid) == nil)
            #expect(!files.hasPermanent(did: alice.did, cid: cid))
            let gone = try await xrpc.getBlob(did: alice.did, cid: cid)
            #expect(gone.status == .badRequest)
            #expect(gone.error == "BlobNotFound")
        }
    }

    @Test func aBlobSharedByTwoRecordsSurvivesDeletingOne() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let bytes = pngBytes(4000)
            let blob = try await xrpc.uploadedBlob(bytes, token: alice.accessJwt)
            let cid = blob.cid
            let first = try #require(try await xrpc.createPost(alice, images: [blob]).json["uri"] as? String)
            let second = try #require(try await xrpc.createPost(alice, images: [blob]).json["uri"] as? String)

            #expect(try await xrpc.deleteRecord(alice, uri: first).status == .ok)
            #expect(try await xrpc.getBlob(did: alice.did, cid: cid).body == bytes)
            #expect(files.hasPermanent(did: alice.did, cid: cid))

            // An update that drops the reference dereferences it like a delete.
            let rkey = String(second.split(separator: "/").last!)
            let updated = try await xrpc.call(
                "com.atproto.repo.putRecord", token: alice.accessJwt,
                json: [
                    "repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey,
                    "record": XRPCTestClient.post("no image any more"),
                ])
            #expect(updated.status == .ok, "\(updated.json)")
            #expect(try await Self.row(services, did: alice.did, cid: cid) == nil)
            #expect(!files.hasPermanent(did: alice.did, cid: cid))
        }
    }

    @Test func applyWritesClaimsAndDereferencesInOneCommit() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let old = try await xrpc.uploadedBlob(pngBytes(1000, seed: 1), token: alice.accessJwt)
            let new = try await xrpc.uploadedBlob(pngBytes(1000, seed: 2), token: alice.accessJwt)
            let created = try await xrpc.createPost(alice, images: [old])
            let rkey = String(try #require(created.json["uri"] as? String).split(separator: "/").last!)

            let applied = try await xrpc.call(
                "com.atproto.repo.applyWrites", token: alice.accessJwt,
                json: [
                    "repo": alice.did,
                    "writes": [
                        [
                            "$type": "com.atproto.repo.applyWrites#update", "collection": "app.bsky.feed.post",
                            "rkey": rkey, "value": XRPCTestClient.post("swapped", images: [new]),
                        ]
                    ],
                ])
            #expect(applied.status == .ok, "\(applied.json)")
            #expect(try await Self.row(services, did: alice.did, cid: old.cid) == nil)
            #expect(try await Self.row(services, did: alice.did, cid: new.cid)?.tempKey == nil)
            #expect(try await xrpc.getBlob(did: alice.did, cid: new.cid).status == .ok)
        }
    }

    @Test func garbageCollectionDeletesOldUnclaimedUploadsOnly() async throws {
        let clock = TestWallClock(Date())
        try await TestApplication.withAccount(now: clock.function) { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let did = try DID(alice.did)
            let old = try await xrpc.uploadedBlob(pngBytes(1000, seed: 1), token: alice.accessJwt)
            let claimed = try await xrpc.uploadedBlob(pngBytes(1000, seed: 2), token: alice.accessJwt)
            #expect(try await xrpc.createPost(alice, images: [claimed]).status == .ok)
            // An upload whose bytes an aborted record write already moved to permanent storage.
            let moved = try await xrpc.uploadedBlob(pngBytes(1000, seed: 3), token: alice.accessJwt)
            let movedRow = try #require(try await Self.row(services, did: alice.did, cid: moved.cid))
            try await services.blobstore(did).makePermanent(
                tempKey: try BlobTempKey(try #require(movedRow.tempKey)), cid: movedRow.cid)
            // A stored upload no row knows (a crash between storing and recording).
            let orphan = try await services.blobstore(did).putTemp(
                AsyncThrowingStream<ByteBuffer, any Error> { continuation in
                    continuation.yield(ByteBuffer(bytes: pngBytes(10, seed: 4)))
                    continuation.finish()
                })

            // Nothing is old enough yet.
            #expect(await services.blobTempCollector.sweep() == .init(actors: 1))

            clock.advance(by: .seconds(25 * 3600))
            let young = try await xrpc.uploadedBlob(pngBytes(1000, seed: 5), token: alice.accessJwt)
            let report = await services.blobTempCollector.sweep()
            #expect(report == .init(actors: 1, expiredUploads: 2, orphanedUploads: 1))

            #expect(try await Self.row(services, did: alice.did, cid: old.cid) == nil)
            #expect(try await Self.row(services, did: alice.did, cid: moved.cid) == nil)
            #expect(!files.hasPermanent(did: alice.did, cid: moved.cid))
            #expect(try await !services.blobstore(did).hasTemp(orphan))
            let youngRow = try #require(try await Self.row(services, did: alice.did, cid: young.cid))
            #expect(files.tempUploads(did: alice.did) == [try #require(youngRow.tempKey)])
            #expect(try await xrpc.getBlob(did: alice.did, cid: claimed.cid).status == .ok)

            // The young upload can still be claimed; the collected one can not.
            #expect(try await xrpc.createPost(alice, images: [young]).status == .ok)
            let expired = try await xrpc.createPost(alice, images: [old])
            #expect(expired.error == "BlobNotFound")
        }
    }
}
