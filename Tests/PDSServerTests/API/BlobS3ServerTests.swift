import ATCore
import BlobStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// The blob path end to end with the S3 blobstore against a real S3-compatible server (`moto_server`, a bucket per
/// test). These fail (never skip) when `moto_server` is missing: run `./scripts/setup.sh --test`.
@Suite struct BlobS3ServerTests {
    @Test func uploadClaimServeRangeDeleteAndCollect() async throws {
        try await withTemporaryDirectory { dir in
            let clock = TestWallClock(Date())
            var environment = try await MotoServer.freshBucketEnvironment()
            environment["PDS_BLOB_UPLOAD_LIMIT"] = "100000"
            let services = try TestApplication.services(environment, dataDirectory: dir, now: clock.function)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let did = try DID(alice.did)
                let store = services.blobstore(did)
                #expect(store is S3BlobStore)

                let bytes = pngBytes(60_000)
                let blob = try await xrpc.uploadedBlob(bytes, token: alice.accessJwt)
                let cid = try CID(blob.cid)
                #expect(try await store.listTemp(olderThan: .distantFuture).count == 1)
                let created = try await xrpc.createPost(alice, images: [blob])
                #expect(created.status == .ok, "\(created.json)")
                #expect(try await store.listTemp(olderThan: .distantFuture).isEmpty)
                #expect(try await store.hasStored(cid))

                let fetched = try await xrpc.getBlob(did: alice.did, cid: cid.description)
                #expect(fetched.status == .ok)
                #expect(fetched.body == bytes)
                #expect(fetched.headers[.contentType] == "image/png")
                let range = try await xrpc.getBlob(
                    did: alice.did, cid: cid.description, headers: [.range: "bytes=100-199"])
                #expect(range.status == .partialContent)
                #expect(range.body == Array(bytes[100..<200]))
                #expect(range.headers[.contentRange] == "bytes 100-199/60000")

                // Over the limit: refused, nothing left in the bucket.
                let tooLarge = try await xrpc.uploadBlob(pngBytes(100_001), token: alice.accessJwt)
                #expect(tooLarge.error == "BlobTooLarge")
                #expect(try await store.listTemp(olderThan: .distantFuture).isEmpty)

                #expect(
                    try await xrpc.deleteRecord(alice, uri: try #require(created.json["uri"] as? String))
                        .status == .ok)
                #expect(try await !store.hasStored(cid))
                #expect(try await xrpc.getBlob(did: alice.did, cid: cid.description).error == "BlobNotFound")

                // An unclaimed upload is collected once older than the grace period.
                let unclaimed = try await xrpc.uploadedBlob(pngBytes(500, seed: 7), token: alice.accessJwt)
                clock.advance(by: .seconds(25 * 3600))
                let report = await services.blobTempCollector.sweep()
                #expect(report == .init(actors: 1, expiredUploads: 1, orphanedUploads: 0))
                #expect(try await store.listTemp(olderThan: .distantFuture).isEmpty)
                #expect(try await xrpc.createPost(alice, images: [unclaimed]).error == "BlobNotFound")
            }
        }
    }
}
