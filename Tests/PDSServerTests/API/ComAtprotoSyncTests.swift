import ATCore
import ATCrypto
import ATRepo
import ActorStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import ServiceDB
import Testing

@testable import PDSServer

@Suite struct ComAtprotoSyncTests {
    typealias T = ComAtprotoServerTests

    static func get(
        _ client: some TestClientProtocol, _ uri: String
    ) async throws -> (status: HTTPResponse.Status, body: [UInt8], contentType: String?) {
        try await client.execute(uri: uri, method: .get) { response in
            (response.status, Array(response.body.readableBytesView), response.headers[.contentType])
        }
    }

    static func errorName(_ body: [UInt8]) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
    }

    static func json(_ body: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

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
                let created = try await T.createAccount(client, handle: "alice.test")
                let did = try DID(try #require(created["did"] as? String))
                let key = try await services.actorStore.keypair(did).publicKey

                let latest = try await Self.get(client, "/xrpc/com.atproto.sync.getLatestCommit?did=\(did)")
                #expect(latest.status == .ok)
                let commit = try Self.json(latest.body)
                let cid = try #require(commit["cid"] as? String)
                let rev = try #require(commit["rev"] as? String)

                let head = try await Self.get(client, "/xrpc/com.atproto.sync.getHead?did=\(did)")
                #expect(try Self.json(head.body)["root"] as? String == cid)

                let repo = try await Self.get(client, "/xrpc/com.atproto.sync.getRepo?did=\(did)")
                #expect(repo.status == .ok)
                #expect(repo.contentType == "application/vnd.ipld.car")
                let reader = try CARReader(repo.body)
                #expect(reader.roots.map(\.description) == [cid])
                let verified = try RepoVerifier.verify(car: repo.body, did: did, key: key)
                #expect(verified.cid.description == cid)
                #expect(verified.commit.rev.rawValue == rev)

                // A record written after `rev` shows up in `getRepo?since=rev`, and the full repo still verifies.
                let written = try await Self.writeRecord(services, did: did, rkey: "3kaaaaaaaaa22")
                let full = try await Self.get(client, "/xrpc/com.atproto.sync.getCheckout?did=\(did)")
                let store = MemoryBlockstore()
                let imported = try Repo.importCAR(full.body, into: store, did: did, key: key)
                #expect(imported.cid == written.cid)
                let since = try await Self.get(client, "/xrpc/com.atproto.sync.getRepo?did=\(did)&since=\(rev)")
                #expect(since.status == .ok)
                #expect(try CARReader(since.body).roots == [written.cid])
            }
        }
    }

    @Test func unknownAndMalformedRepos() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                for method in ["getLatestCommit", "getRepo", "getHead", "getCheckout", "getRepoStatus"] {
                    let response = try await Self.get(
                        client, "/xrpc/com.atproto.sync.\(method)?did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
                    #expect(response.status == .badRequest)
                    #expect(Self.errorName(response.body) == "RepoNotFound", "\(method)")
                }
                let missing = try await Self.get(client, "/xrpc/com.atproto.sync.getLatestCommit")
                #expect(missing.status == .badRequest)
                #expect(Self.errorName(missing.body) == "InvalidRequest")
            }
        }
    }

    @Test func recordProofAndBlocks() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let created = try await T.createAccount(client, handle: "bob.test")
                let did = try DID(try #require(created["did"] as? String))
                let absent = try await Self.get(
                    client,
                    "/xrpc/com.atproto.sync.getRecord?did=\(did)&collection=app.bsky.feed.post&rkey=3kaaaaaaaaa22")
                #expect(Self.errorName(absent.body) == "RecordNotFound")

                let commit = try await Self.writeRecord(services, did: did, rkey: "3kaaaaaaaaa22")
                let proof = try await Self.get(
                    client,
                    "/xrpc/com.atproto.sync.getRecord?did=\(did)&collection=app.bsky.feed.post&rkey=3kaaaaaaaaa22")
                #expect(proof.status == .ok)
                #expect(proof.contentType == "application/vnd.ipld.car")
                let (roots, blocks) = try CARReader.read(proof.body)
                #expect(roots == [commit.cid])
                let recordCID = try #require(
                    commit.ops.first?.cid, "the commit's create op names the record")
                #expect(blocks.contains { $0.cid == recordCID })

                let ok = try await Self.get(
                    client, "/xrpc/com.atproto.sync.getBlocks?did=\(did)&cids=\(commit.cid)&cids=\(recordCID)")
                #expect(ok.status == .ok)
                let car = try CARReader.read(ok.body)
                #expect(car.roots.isEmpty)
                #expect(Set(car.blocks.map(\.cid)) == [commit.cid, recordCID])

                let unknown = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
                let bad = try await Self.get(
                    client, "/xrpc/com.atproto.sync.getBlocks?did=\(did)&cids=\(commit.cid)&cids=\(unknown)")
                #expect(bad.status == .badRequest)
                #expect(Self.errorName(bad.body) == "BlockNotFound")
            }
        }
    }

    @Test func listReposPaginatesInCreationOrder() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                var dids: [String] = []
                for name in ["one", "two", "three"] {
                    let created = try await T.createAccount(client, handle: "\(name).test")
                    dids.append(try #require(created["did"] as? String))
                }
                var seen: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    var uri = "/xrpc/com.atproto.sync.listRepos?limit=2"
                    if let cursor {
                        uri += "&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                    }
                    let page = try Self.json(try await Self.get(client, uri).body)
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
                let bad = try await Self.get(client, "/xrpc/com.atproto.sync.listRepos?limit=1001")
                #expect(bad.status == .badRequest)
            }
        }
    }

    @Test func deactivatedAndTakenDownRepos() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let created = try await T.createAccount(client, handle: "carol.test")
                let did = try DID(try #require(created["did"] as? String))
                let active = try Self.json(
                    try await Self.get(client, "/xrpc/com.atproto.sync.getRepoStatus?did=\(did)").body)
                #expect(active["active"] as? Bool == true)
                #expect(active["rev"] as? String != nil)
                #expect(active["status"] == nil)

                try await services.serviceDB.deactivateAccount(did: did, deleteAfter: nil)
                let status = try Self.json(
                    try await Self.get(client, "/xrpc/com.atproto.sync.getRepoStatus?did=\(did)").body)
                #expect(status["active"] as? Bool == false)
                #expect(status["status"] as? String == "deactivated")
                #expect(status["rev"] == nil)
                let repo = try await Self.get(client, "/xrpc/com.atproto.sync.getRepo?did=\(did)")
                #expect(Self.errorName(repo.body) == "RepoDeactivated")
                // The owner and the admin still read it.
                let access = try #require(created["accessJwt"] as? String)
                let admin = "admin:\(try services.configuration.resolvingSecrets().adminPassword)"
                for authorization in ["Bearer \(access)", "Basic \(Data(admin.utf8).base64EncodedString())"] {
                    try await client.execute(
                        uri: "/xrpc/com.atproto.sync.getLatestCommit?did=\(did)", method: .get,
                        headers: [.authorization: authorization]
                    ) { response in
                        #expect(response.status == .ok, "\(String(buffer: response.body))")
                    }
                }
                let listed = try Self.json(try await Self.get(client, "/xrpc/com.atproto.sync.listRepos").body)
                let entry = try #require((listed["repos"] as? [[String: Any]])?.first)
                #expect(entry["active"] as? Bool == false && entry["status"] as? String == "deactivated")

                try await services.serviceDB.setTakedown(did: did, ref: "mod-1")
                let takendown = try await Self.get(client, "/xrpc/com.atproto.sync.getLatestCommit?did=\(did)")
                #expect(Self.errorName(takendown.body) == "RepoTakendown")
            }
        }
    }
}
