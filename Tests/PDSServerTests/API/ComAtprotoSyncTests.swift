import ATCore
import ATCrypto
import ATRepo
import ActorStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import ServiceDB
import Testing

@testable import PDSServer

@Suite struct ComAtprotoSyncTests {
    /// Writes one record directly through the actor store and sequences its commit.
    static func writeRecord(_ services: PDSServices, did: DID, rkey: String) async throws -> CommitData {
        let write = RepoWrite.create(
            try NSID("app.bsky.feed.post"), try RecordKey(rkey),
            .map([
                "$type": .string("app.bsky.feed.post"), "text": .string("hello \(rkey)"),
                "createdAt": .string("2026-01-01T00:00:00.000Z"),
            ]))
        let sequencer = services.sequencer
        let (commit, ticket) = try await services.actorStore.transact(did) { txn in
            try txn.repo.processWrites([write], swapCommit: nil)
        } committed: { commit in
            (commit, sequencer.enqueueCommit(did: did, commit: commit))
        }
        _ = try await ticket.seqs
        return commit
    }

    @Test func latestCommitAndRepoVerifyAgainstTheAccountKey() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let created = try await xrpc.createAccount(handle: "alice.test")
                let did = try DID(created.did)
                let key = try await services.actorStore.keypair(did).publicKey

                let latest = try await xrpc.call("com.atproto.sync.getLatestCommit", query: "did=\(did)")
                #expect(latest.status == .ok)
                let commit = try latest.jsonObject()
                let cid = try #require(commit["cid"] as? String)
                let rev = try #require(commit["rev"] as? String)

                let head = try await xrpc.call("com.atproto.sync.getHead", query: "did=\(did)")
                #expect(try head.jsonObject()["root"] as? String == cid)

                let repo = try await xrpc.call("com.atproto.sync.getRepo", query: "did=\(did)")
                #expect(repo.status == .ok)
                #expect(repo.headers[.contentType] == "application/vnd.ipld.car")
                let reader = try CARReader(repo.body)
                #expect(reader.roots.map(\.description) == [cid])
                let verified = try RepoVerifier.verify(car: repo.body, did: did, key: key)
                #expect(verified.cid.description == cid)
                #expect(verified.commit.rev.rawValue == rev)

                // A record written after `rev` shows up in `getRepo?since=rev`, and the full repo still verifies.
                let written = try await Self.writeRecord(services, did: did, rkey: "3kaaaaaaaaa22")
                let full = try await xrpc.call("com.atproto.sync.getCheckout", query: "did=\(did)")
                let store = MemoryBlockstore()
                let imported = try Repo.importCAR(full.body, into: store, did: did, key: key)
                #expect(imported.cid == written.cid)
                let since = try await xrpc.call("com.atproto.sync.getRepo", query: "did=\(did)&since=\(rev)")
                #expect(since.status == .ok)
                #expect(try CARReader(since.body).roots == [written.cid])
            }
        }
    }

    @Test func unknownAndMalformedRepos() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                for method in ["getLatestCommit", "getRepo", "getHead", "getCheckout", "getRepoStatus"] {
                    let response = try await xrpc.call(
                        "com.atproto.sync.\(method)", query: "did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
                    #expect(response.status == .badRequest)
                    #expect(response.error == "RepoNotFound", "\(method)")
                }
                let missing = try await xrpc.call("com.atproto.sync.getLatestCommit")
                #expect(missing.status == .badRequest)
                #expect(missing.error == "InvalidRequest")
            }
        }
    }

    @Test func recordProofAndBlocks() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let created = try await xrpc.createAccount(handle: "bob.test")
                let did = try DID(created.did)
                let absent = try await xrpc.call(
                    "com.atproto.sync.getRecord", query: "did=\(did)&collection=app.bsky.feed.post&rkey=3kaaaaaaaaa22")
                #expect(absent.error == "RecordNotFound")

                let commit = try await Self.writeRecord(services, did: did, rkey: "3kaaaaaaaaa22")
                let proof = try await xrpc.call(
                    "com.atproto.sync.getRecord", query: "did=\(did)&collection=app.bsky.feed.post&rkey=3kaaaaaaaaa22")
                #expect(proof.status == .ok)
                #expect(proof.headers[.contentType] == "application/vnd.ipld.car")
                let (roots, blocks) = try CARReader.read(proof.body)
                #expect(roots == [commit.cid])
                let recordCID = try #require(
                    commit.ops.first?.cid, "the commit's create op names the record")
                #expect(blocks.contains { $0.cid == recordCID })

                let ok = try await xrpc.call(
                    "com.atproto.sync.getBlocks", query: "did=\(did)&cids=\(commit.cid)&cids=\(recordCID)")
                #expect(ok.status == .ok)
                let car = try CARReader.read(ok.body)
                #expect(car.roots.isEmpty)
                #expect(Set(car.blocks.map(\.cid)) == [commit.cid, recordCID])

                let unknown = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
                let bad = try await xrpc.call(
                    "com.atproto.sync.getBlocks", query: "did=\(did)&cids=\(commit.cid)&cids=\(unknown)")
                #expect(bad.status == .badRequest)
                #expect(bad.error == "BlockNotFound")
            }
        }
    }

    @Test func listReposPaginatesInCreationOrder() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                var dids: [String] = []
                for name in ["one", "two", "three"] {
                    dids.append(try await xrpc.createAccount(handle: "\(name).test").did)
                }
                var seen: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    var query = "limit=2"
                    if let cursor {
                        query += "&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                    }
                    let page = try await xrpc.call("com.atproto.sync.listRepos", query: query).jsonObject()
                    let repos = try #require(page["repos"] as? [[String: Any]])
                    #expect(repos.count <= 2)
                    for repo in repos {
                        seen.append(try #require(repo["did"] as? String))
                        #expect(repo["active"] as? Bool == true)
                        #expect(repo["head"] as? String != nil && repo["rev"] as? String != nil)
                    }
                    cursor = page["cursor"] as? String
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(seen == dids)
                let bad = try await xrpc.call("com.atproto.sync.listRepos", query: "limit=1001")
                #expect(bad.status == .badRequest)
            }
        }
    }

    @Test func deactivatedAndTakenDownRepos() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let created = try await xrpc.createAccount(handle: "carol.test")
                let did = try DID(created.did)
                let active = try await xrpc.call("com.atproto.sync.getRepoStatus", query: "did=\(did)").jsonObject()
                #expect(active["active"] as? Bool == true)
                #expect(active["rev"] as? String != nil)
                #expect(active["status"] == nil)

                try await services.serviceDB.deactivateAccount(did: did, deleteAfter: nil)
                let status = try await xrpc.call("com.atproto.sync.getRepoStatus", query: "did=\(did)").jsonObject()
                #expect(status["active"] as? Bool == false)
                #expect(status["status"] as? String == "deactivated")
                #expect(status["rev"] == nil)
                let repo = try await xrpc.call("com.atproto.sync.getRepo", query: "did=\(did)")
                #expect(repo.error == "RepoDeactivated")
                // The owner and the admin still read it.
                for authorization in ["Bearer \(created.accessJwt)", try services.adminAuthorization()] {
                    let reply = try await xrpc.call(
                        "com.atproto.sync.getLatestCommit", headers: [.authorization: authorization],
                        query: "did=\(did)")
                    #expect(reply.status == .ok, "\(reply.text)")
                }
                let listed = try await xrpc.call("com.atproto.sync.listRepos").jsonObject()
                let entry = try #require((listed["repos"] as? [[String: Any]])?.first)
                #expect(entry["active"] as? Bool == false && entry["status"] as? String == "deactivated")

                try await services.serviceDB.setTakedown(did: did, ref: "mod-1")
                let takendown = try await xrpc.call("com.atproto.sync.getLatestCommit", query: "did=\(did)")
                #expect(takendown.error == "RepoTakendown")
            }
        }
    }
}
