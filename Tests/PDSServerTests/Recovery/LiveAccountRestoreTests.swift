import ATCore
import ActorStore
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import Testing

@testable import PDSServer

/// `dev.swiftpds.backup.restoreAccount` (``LiveAccountRestore``): one account's staged files replace its live ones in
/// a running server; the repo is announced above the firehose head; other accounts are untouched; bad input changes
/// nothing.
@Suite struct LiveAccountRestoreTests {
    /// Copies `did`'s store and key, as they are now, into the staging directory `name` (as `pds backup restore`
    /// lays it out), with its blobs `blobs`; returns the staging directory.
    static func stage(
        _ did: DID, as stagedDID: DID? = nil, name: String, services: PDSServices, dataDirectory: URL,
        blobs: [(cid: String, bytes: [UInt8])] = []
    ) async throws -> URL {
        let staging = LiveAccountRestore.stagingRoot(dataDirectory: dataDirectory).appendingPathComponent(name)
        let target = ActorLocation(did: stagedDID ?? did, actorsDirectory: LiveAccountRestore.stagedActors(staging))
        let live = services.actorStore.location(of: did)
        // A single-file copy by SQLite's online backup, as the backup shipper takes it.
        try FileManager.default.createDirectory(at: target.directory, withIntermediateDirectories: true)
        var readOnly = Configuration()
        readOnly.readonly = true
        let source = try DatabaseQueue(path: live.database.path, configuration: readOnly)
        let copy = try DatabaseQueue(path: target.database.path)
        try source.backup(to: copy)
        try copy.close()
        try source.close()
        try FileManager.default.copyItem(at: live.key, to: target.key)
        let blobDirectory = LiveAccountRestore.stagedBlobs(staging).appendingPathComponent((stagedDID ?? did).rawValue)
        try FileManager.default.createDirectory(at: blobDirectory, withIntermediateDirectories: true)
        for blob in blobs { try Data(blob.bytes).write(to: blobDirectory.appendingPathComponent(blob.cid)) }
        return staging
    }

    static func texts(_ xrpc: XRPCTestClient, _ did: String) async throws -> [String] {
        let listed = try await xrpc.call(
            "com.atproto.repo.listRecords", query: "repo=\(did)&collection=app.bsky.feed.post")
        return (listed.json["records"] as? [[String: Any]] ?? []).compactMap {
            ($0["value"] as? [String: Any])?["text"] as? String
        }.sorted()
    }

    static func latestCommit(_ xrpc: XRPCTestClient, _ did: String) async throws -> [String: String] {
        let reply = try await xrpc.call("com.atproto.sync.getLatestCommit", query: "did=\(did)")
        return reply.json as? [String: String] ?? [:]
    }

    @Test func oneAccountGoesBackWhileTheServerRunsAndIsAnnounced() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let bob = try await xrpc.createAccount(handle: "bob.test")
                let did = try DID(alice.did)
                let kept = pngBytes(300, seed: 1)
                let keptRef = try await xrpc.uploadedBlob(kept, token: alice.accessJwt)
                #expect(try await xrpc.createRecord(alice, record: XRPCTestClient.post("one")).status == .ok)
                let withBlob = try await xrpc.createPost(alice, images: [keptRef])
                #expect(withBlob.status == .ok)
                let staging = try await Self.stage(
                    did, name: "t1", services: services, dataDirectory: dir,
                    blobs: [(keptRef.cid, kept)])

                // After the point in time: the post with the blob is deleted (and its blob with it), a new blob
                // and post arrive, and bob writes too.
                let uri = try #require(withBlob.json["uri"] as? String)
                #expect(try await xrpc.deleteRecord(alice, uri: uri).status == .ok)
                #expect(!DiskBlobFiles(dir).hasPermanent(did: alice.did, cid: keptRef.cid))
                let later = try await xrpc.uploadedBlob(pngBytes(200, seed: 2), token: alice.accessJwt)
                #expect(try await xrpc.createPost(alice, images: [later]).status == .ok)
                #expect(try await xrpc.createRecord(bob, record: XRPCTestClient.post("bob")).status == .ok)
                let bobBefore = try await Self.latestCommit(xrpc, bob.did)
                let head = try #require(try await services.events(after: nil).last?.seq)

                let reply = try await xrpc.admin(
                    LiveAccountRestore.method, services, json: ["did": alice.did, "staging": "t1"])
                #expect(reply.status == .ok, "\(reply.text)")
                let summary = try reply.decode(LiveAccountRestore.Summary.self)
                #expect(summary.blobsRestored == 1)
                #expect(summary.blobsRemoved == 1)
                let announced = try #require(summary.announcedRev)
                let syncSeq = try #require(summary.syncSeq)
                #expect(Int64(syncSeq) > head)

                // Exactly the records at the point in time, with the blob back and the later one gone.
                #expect(try await Self.texts(xrpc, alice.did) == ["one", "with images"])
                #expect(DiskBlobFiles(dir).hasPermanent(did: alice.did, cid: keptRef.cid))
                #expect(!DiskBlobFiles(dir).hasPermanent(did: alice.did, cid: later.cid))
                #expect(try await xrpc.getBlob(did: alice.did, cid: keptRef.cid).status == .ok)
                #expect(try await Self.latestCommit(xrpc, alice.did)["rev"] == announced)
                // Bob is untouched.
                #expect(try await Self.latestCommit(xrpc, bob.did) == bobBefore)
                #expect(try await Self.texts(xrpc, bob.did) == ["bob"])

                // The firehose: the #sync of the re-signed restored repo, then #identity and #account, all for
                // alice, above the earlier head.
                let events = try await services.events(after: head)
                #expect(events.map(\.type) == [.sync, .identity, .account])
                #expect(events.allSatisfy { $0.did == did })
                #expect(events.first?.seq == Int64(syncSeq))
                #expect(events.first?.body["rev"]?.string == announced)
                #expect(events.last?.body["active"] == .bool(true))

                // Alice writes on top of the restored repo; the staging directory is gone.
                let next = try await xrpc.createRecord(alice, record: XRPCTestClient.post("after"))
                #expect(next.status == .ok, "\(next.text)")
                let commit = try #require(try await services.events(after: head).last)
                #expect(commit.type == .append && commit.body["since"]?.string == announced)
                #expect(!FileManager.default.fileExists(atPath: staging.path))
                #expect(services.reconciler.pendingDIDs.isEmpty)
            }
        }
    }

    @Test func badRequestsChangeNothing() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let bob = try await xrpc.createAccount(handle: "bob.test")
                let did = try DID(alice.did)
                #expect(try await xrpc.createRecord(alice, record: XRPCTestClient.post("one")).status == .ok)
                let before = try await Self.latestCommit(xrpc, alice.did)
                let head = try #require(try await services.events(after: nil).last?.seq)
                let method = LiveAccountRestore.method

                let anonymous = try await xrpc.call(method, json: ["did": alice.did, "staging": "x"])
                #expect(anonymous.status == .unauthorized)
                let badDID = try await xrpc.admin(method, services, json: ["did": "alice", "staging": "x"])
                #expect(badDID.status == .badRequest && badDID.error == "InvalidRequest")
                let escape = try await xrpc.admin(method, services, json: ["did": alice.did, "staging": "../x"])
                #expect(escape.status == .badRequest && escape.error == "InvalidRequest")
                let nothing = try await xrpc.admin(method, services, json: ["did": alice.did, "staging": "none"])
                #expect(nothing.status == .badRequest)
                #expect((nothing.json["message"] as? String)?.contains("nothing staged") == true)

                // Staged files for a DID without an account.
                let stranger = try DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
                _ = try await Self.stage(did, as: stranger, name: "s1", services: services, dataDirectory: dir)
                let unknown = try await xrpc.admin(
                    method, services, json: ["did": stranger.rawValue, "staging": "s1"])
                #expect(unknown.status == .badRequest && unknown.error == "AccountNotFound", "\(unknown.text)")

                // Bob's store staged as alice's.
                _ = try await Self.stage(
                    try DID(bob.did), as: did, name: "s2", services: services, dataDirectory: dir)
                let foreign = try await xrpc.admin(method, services, json: ["did": alice.did, "staging": "s2"])
                #expect(foreign.status == .badRequest, "\(foreign.text)")
                #expect((foreign.json["message"] as? String)?.contains("holds the repo of \(bob.did)") == true)

                #expect(try await Self.latestCommit(xrpc, alice.did) == before)
                #expect(try await Self.texts(xrpc, alice.did) == ["one"])
                #expect(try await services.events(after: head).isEmpty)
            }
        }
    }
}
