import ATCore
import ActorStore
import HTTPTypes
import PDSTestSupport
import Sequencer
import ServiceDB
import Testing

@testable import PDSServer

/// Serving blobs: `sync.getBlob` ranges, `sync.listBlobs`, `repo.listMissingBlobs`, and takedowns through
/// `admin.updateSubjectStatus` / `getSubjectStatus`.
@Suite struct BlobServingTests {
    /// Uploads `bytes` and posts them: the CID of a claimed blob.
    static func claimedBlob(_ xrpc: XRPCTestClient, _ account: XRPCSession, _ bytes: [UInt8]) async throws -> String {
        let blob = try await xrpc.uploadedBlob(bytes, token: account.accessJwt)
        let created = try await xrpc.createPost(account, images: [blob])
        #expect(created.status == .ok, "\(created.json)")
        return blob.cid
    }

    /// `com.atproto.admin.<method>` with the admin's Basic credentials.
    static func admin(
        _ xrpc: XRPCTestClient, _ services: PDSServices, _ method: String, json: [String: Any]? = nil,
        query: String = ""
    ) async throws -> XRPCReply {
        try await xrpc.call(
            "com.atproto.admin.\(method)", headers: [.authorization: try services.adminAuthorization()], query: query,
            json: json)
    }

    @Test func rangeRequestsArePartialContent() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let bytes = pngBytes(10_000)
            let cid = try await Self.claimedBlob(xrpc, alice, bytes)
            func get(_ range: String) async throws -> XRPCReply {
                try await xrpc.getBlob(did: alice.did, cid: cid, headers: [.range: range])
            }

            let head = try await get("bytes=0-99")
            #expect(head.status == .partialContent)
            #expect(head.body == Array(bytes[0..<100]))
            #expect(head.headers[.contentRange] == "bytes 0-99/10000")
            #expect(head.headers[.contentLength] == "100")
            #expect(head.headers[.contentType] == "image/png")
            let tail = try await get("bytes=9990-")
            #expect(tail.status == .partialContent)
            #expect(tail.body == Array(bytes[9990...]))
            #expect(tail.headers[.contentRange] == "bytes 9990-9999/10000")
            let suffix = try await get("bytes=-5")
            #expect(suffix.body == Array(bytes[9995...]))
            #expect(suffix.headers[.contentRange] == "bytes 9995-9999/10000")

            let unsatisfiable = try await get("bytes=20000-")
            #expect(unsatisfiable.status == .rangeNotSatisfiable)
            #expect(unsatisfiable.headers[.contentRange] == "bytes */10000")
            let malformed = try await get("bytes=abc")
            #expect(malformed.status == .ok)
            #expect(malformed.body == bytes)
            let whole = try await xrpc.getBlob(did: alice.did, cid: cid)
            #expect(whole.headers[.acceptRanges] == "bytes")
        }
    }

    @Test func getBlobChecksTheRepo() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let cid = try await Self.claimedBlob(xrpc, alice, pngBytes(500))
            let unknownRepo = try await xrpc.getBlob(did: "did:plc:unknownunknownunknown", cid: cid)
            #expect(unknownRepo.error == "RepoNotFound")
            let badCID = try await xrpc.getBlob(did: alice.did, cid: "nope")
            #expect(badCID.status == .badRequest)

            // A deactivated repo: hidden from others, served to its owner.
            try await services.serviceDB.deactivateAccount(did: try DID(alice.did), deleteAfter: nil)
            let hidden = try await xrpc.getBlob(did: alice.did, cid: cid)
            #expect(hidden.error == "RepoDeactivated")
            let owner = try await xrpc.getBlob(
                did: alice.did, cid: cid, headers: [.authorization: "Bearer \(alice.accessJwt)"])
            #expect(owner.status == .ok)
        }
    }

    @Test func listMissingBlobsPagesAndAnUploadFillsTheGap() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let did = try DID(alice.did)
            // Records referencing blobs never uploaded, as after importing a repo.
            let payloads = (1...3).map { pngBytes(200, seed: UInt8($0)) }
            let cids = payloads.map { CID.raw(hashing: $0) }
            let uris = try (1...2).map {
                ATURI(did: did, collection: try NSID("app.bsky.feed.post"), rkey: try RecordKey("r\($0)"))
            }
            try await services.actorStore.transact(did) { txn in
                try txn.blob.associate(cids, with: uris[0])
                try txn.blob.associate([cids[0]], with: uris[1])
            }
            let sorted = cids.map(\.description).sorted()

            let unauthenticated = try await xrpc.call("com.atproto.repo.listMissingBlobs")
            #expect(unauthenticated.status == .unauthorized)
            let first = try await xrpc.call(
                "com.atproto.repo.listMissingBlobs", token: alice.accessJwt, query: "limit=2")
            #expect(first.status == .ok, "\(first.json)")
            let firstBlobs = try #require(first.json["blobs"] as? [[String: Any]])
            #expect(firstBlobs.map { $0["cid"] as? String } == Array(sorted.prefix(2)))
            #expect(firstBlobs.allSatisfy { ($0["recordUri"] as? String)?.hasPrefix("at://\(alice.did)/") == true })
            let cursor = try #require(first.json["cursor"] as? String)
            let second = try await xrpc.call(
                "com.atproto.repo.listMissingBlobs", token: alice.accessJwt, query: "limit=2&cursor=\(cursor)")
            #expect((second.json["blobs"] as? [[String: Any]])?.map { $0["cid"] as? String } == [sorted[2]])
            #expect(second.json["cursor"] == nil)

            // Uploading a referenced blob makes it permanent at once.
            let blob = try await xrpc.uploadedBlob(payloads[0], token: alice.accessJwt)
            #expect(blob.cid == cids[0].description)
            #expect(try await xrpc.getBlob(did: alice.did, cid: cids[0].description).body == payloads[0])
            #expect(files.tempUploads(did: alice.did).isEmpty)
            let after = try await xrpc.call("com.atproto.repo.listMissingBlobs", token: alice.accessJwt)
            #expect((after.json["blobs"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test func listBlobsFollowsRecordsAndSince() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let first = try await Self.claimedBlob(xrpc, alice, pngBytes(300, seed: 1))
            let rev =
                try await xrpc.call("com.atproto.sync.getLatestCommit", query: "did=\(alice.did)").jsonObject()["rev"]
                as? String
            let blob = try await xrpc.uploadedBlob(pngBytes(300, seed: 2), token: alice.accessJwt)
            #expect(try await xrpc.createPost(alice, images: [blob]).status == .ok)
            func list(_ query: String) async throws -> [String] {
                try await xrpc.call("com.atproto.sync.listBlobs", query: "did=\(alice.did)\(query)").jsonObject()[
                    "cids"]
                    as? [String] ?? []
            }
            #expect(try await list("") == [first, blob.cid].sorted())
            #expect(try await list("&since=\(try #require(rev))") == [blob.cid])
        }
    }

    @Test func blobTakedownHidesTheBlobAndReversalRestoresIt() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let files = DiskBlobFiles(dir)
            let bytes = pngBytes(2000)
            let cid = try await Self.claimedBlob(xrpc, alice, bytes)
            let subject: [String: Any] = [
                "$type": "com.atproto.admin.defs#repoBlobRef", "did": alice.did, "cid": cid,
            ]

            let notAdmin = try await xrpc.call(
                "com.atproto.admin.updateSubjectStatus", token: alice.accessJwt,
                json: ["subject": subject, "takedown": ["applied": true]]
            ).status
            #expect(notAdmin == .unauthorized)

            let applied = try await Self.admin(
                xrpc, services, "updateSubjectStatus",
                json: ["subject": subject, "takedown": ["applied": true, "ref": "mod-1"]])
            #expect(applied.status == .ok, "\(applied.json)")
            #expect((applied.json["takedown"] as? [String: Any])?["ref"] as? String == "mod-1")
            let hidden = try await xrpc.getBlob(did: alice.did, cid: cid)
            #expect(hidden.status == .badRequest)
            #expect(hidden.error == "BlobNotFound")
            #expect(!files.hasPermanent(did: alice.did, cid: cid))
            #expect(files.hasQuarantined(did: alice.did, cid: cid))
            let status = try await Self.admin(
                xrpc, services, "getSubjectStatus", query: "did=\(alice.did)&blob=\(cid)")
            #expect(status.status == .ok, "\(status.json)")
            #expect(
                (status.json["subject"] as? [String: Any])?["$type"] as? String
                    == "com.atproto.admin.defs#repoBlobRef")
            #expect((status.json["takedown"] as? [String: Any])?["applied"] as? Bool == true)

            // A taken-down blob can not be uploaded again.
            let reupload = try await xrpc.uploadBlob(bytes, token: alice.accessJwt)
            #expect(reupload.status == .badRequest)
            #expect(reupload.error == "InvalidRequest")
            #expect(files.tempUploads(did: alice.did).isEmpty)

            let reversed = try await Self.admin(
                xrpc, services, "updateSubjectStatus", json: ["subject": subject, "takedown": ["applied": false]])
            #expect(reversed.status == .ok, "\(reversed.json)")
            #expect(try await xrpc.getBlob(did: alice.did, cid: cid).body == bytes)
            #expect(!files.hasQuarantined(did: alice.did, cid: cid))
            let restored = try await Self.admin(
                xrpc, services, "getSubjectStatus", query: "did=\(alice.did)&blob=\(cid)")
            #expect((restored.json["takedown"] as? [String: Any])?["applied"] as? Bool == false)

            let unknown = try await Self.admin(
                xrpc, services, "updateSubjectStatus",
                json: [
                    "subject": subject.merging(["cid": CID.raw(hashing: [1, 2, 3]).description]) { $1 },
                    "takedown": ["applied": true],
                ])
            #expect(unknown.error == "BlobNotFound")
            let unsupported = try await Self.admin(
                xrpc, services, "updateSubjectStatus",
                json: ["subject": ["$type": "com.example.thing", "did": alice.did], "takedown": ["applied": true]])
            #expect(unsupported.status == .badRequest)
            #expect(unsupported.error == "InvalidRequest")
            #expect((unsupported.json["message"] as? String)?.contains("Unsupported subject type") == true)
        }
    }

    @Test func accountAndRecordTakedowns() async throws {
        try await TestApplication.withAccount { dir, services, xrpc, alice in
            let created = try await xrpc.call(
                "com.atproto.repo.createRecord", token: alice.accessJwt,
                json: ["repo": alice.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("hi")])
            let uri = try #require(created.json["uri"] as? String)
            let recordCID = try #require(created.json["cid"] as? String)
            let rkey = String(uri.split(separator: "/").last!)
            let getRecord = "repo=\(alice.did)&collection=app.bsky.feed.post&rkey=\(rkey)"

            let record: [String: Any] = ["$type": "com.atproto.repo.strongRef", "uri": uri, "cid": recordCID]
            let down = try await Self.admin(
                xrpc, services, "updateSubjectStatus", json: ["subject": record, "takedown": ["applied": true]])
            #expect(down.status == .ok, "\(down.json)")
            #expect(try await xrpc.call("com.atproto.repo.getRecord", query: getRecord).error == "RecordNotFound")
            let recordStatus = try await Self.admin(xrpc, services, "getSubjectStatus", query: "uri=\(uri)")
            #expect((recordStatus.json["subject"] as? [String: Any])?["cid"] as? String == recordCID)
            #expect((recordStatus.json["takedown"] as? [String: Any])?["applied"] as? Bool == true)
            _ = try await Self.admin(
                xrpc, services, "updateSubjectStatus", json: ["subject": record, "takedown": ["applied": false]])
            #expect(try await xrpc.call("com.atproto.repo.getRecord", query: getRecord).status == .ok)

            let last = try await services.events(after: nil).last?.seq
            let repo: [String: Any] = ["$type": "com.atproto.admin.defs#repoRef", "did": alice.did]
            let takedown = try await Self.admin(
                xrpc, services, "updateSubjectStatus",
                json: ["subject": repo, "takedown": ["applied": true, "ref": "spam"]])
            #expect(takedown.status == .ok, "\(takedown.json)")
            let described = try await xrpc.call("com.atproto.repo.describeRepo", query: "repo=\(alice.did)")
            #expect(described.error == "RepoTakendown")
            let event = try #require(try await services.events(after: last).last)
            #expect(event.body["active"]?.bool == false)
            #expect(event.body["status"]?.string == "takendown")
            let accountStatus = try await Self.admin(
                xrpc, services, "getSubjectStatus", query: "did=\(alice.did)")
            #expect((accountStatus.json["takedown"] as? [String: Any])?["ref"] as? String == "spam")
            #expect((accountStatus.json["deactivated"] as? [String: Any])?["applied"] as? Bool == false)

            _ = try await Self.admin(
                xrpc, services, "updateSubjectStatus", json: ["subject": repo, "takedown": ["applied": false]])
            #expect(try await xrpc.call("com.atproto.repo.describeRepo", query: "repo=\(alice.did)").status == .ok)
            let missing = try await Self.admin(
                xrpc, services, "getSubjectStatus", query: "did=did:plc:unknownunknownunknown")
            #expect(missing.error == "NotFound")
            let none = try await Self.admin(xrpc, services, "getSubjectStatus")
            #expect(none.error == "InvalidRequest")
        }
    }
}
