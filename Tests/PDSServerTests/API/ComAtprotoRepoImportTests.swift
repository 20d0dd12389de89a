import ATCore
import ATCrypto
import ATRepo
import ActorStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// `com.atproto.repo.importRepo`: a verified CAR replaces a deactivated account's repo; anything that does not verify
/// is refused with the previous repo untouched.
@Suite struct ComAtprotoRepoImportTests {
    static let car: HTTPFields = [.contentType: "application/vnd.ipld.car"]

    /// `body` with the account's token and a CAR content type.
    static func importRepo(_ xrpc: XRPCTestClient, _ session: XRPCSession, _ body: [UInt8]) async throws -> XRPCReply {
        var headers = car
        headers[.authorization] = "Bearer \(session.accessJwt)"
        return try await xrpc.send("com.atproto.repo.importRepo", method: .post, headers: headers, body: body)
    }

    @Test func importReplacesTheRepoOfADeactivatedAccount() async throws {
        try await TestApplication.withAccount(handle: "ivy.test") { _, services, xrpc, ivy in
            let kept = try await xrpc.createRecord(ivy, record: XRPCTestClient.post("first"))
            #expect(kept.status == .ok, "\(kept.text)")
            let exported = try await xrpc.call("com.atproto.sync.getRepo", query: "did=\(ivy.did)")
            let snapshot = exported.body
            let later = try await xrpc.createRecord(ivy, record: XRPCTestClient.post("written after the export"))

            let active = try await Self.importRepo(xrpc, ivy, snapshot)
            #expect(active.status == .badRequest)
            #expect(active.json["message"] as? String == "Cannot import over an active account's repo: deactivate the account first")

            let deactivated = try await xrpc.call("com.atproto.server.deactivateAccount", token: ivy.accessJwt, json: [:])
            #expect(deactivated.status == .ok)

            // A corrupted CAR: refused, nothing changes.
            var corrupted = snapshot
            corrupted[corrupted.count - 3] ^= 0xFF
            let refused = try await Self.importRepo(xrpc, ivy, corrupted)
            #expect(refused.status == .badRequest, "\(refused.text)")
            #expect((refused.json["message"] as? String)?.hasPrefix("Invalid repo: ") == true, "\(refused.text)")
            // The account is deactivated, so its repo is read from the store, not over XRPC.
            let did = try DID(ivy.did)
            func records() async throws -> [String] {
                try await services.actorStore.read(did) { try $0.record.listAll().map(\.uri.rawValue).sorted() }
            }
            let laterURI = try later.decode(XRPCWriteOutput.self).uri
            #expect(try await records().contains(laterURI))

            let imported = try await Self.importRepo(xrpc, ivy, snapshot)
            #expect(imported.status == .ok, "\(imported.text)")
            #expect(try await records() == [try kept.decode(XRPCWriteOutput.self).uri])
            let root = try await services.actorStore.read(did) { try $0.repo.root() }
            #expect(root != nil)

            let activated = try await xrpc.call(
                "com.atproto.server.activateAccount", method: .post, token: ivy.accessJwt)
            #expect(activated.status == .ok, "\(activated.text)")
            let latest = try await xrpc.call("com.atproto.sync.getLatestCommit", query: "did=\(ivy.did)")
            #expect(latest.json["rev"] as? String == root?.rev.rawValue)
            let audit = await RepoAudit(actorStore: services.actorStore).verify(try DID(ivy.did))
            #expect(audit.problems.isEmpty, "\(audit.problems)")
        }
    }

    @Test func anotherAccountsRepoOrAnOversizedBodyIsRefused() async throws {
        try await TestApplication.withAccount(["PDS_MAX_REPO_IMPORT_SIZE": "4096"], handle: "joan.test") {
            _, services, xrpc, jo in
            let kim = try await xrpc.createAccount(handle: "kim.test")
            _ = try await xrpc.createRecord(kim, record: XRPCTestClient.post("kim's"))
            let kimsRepo = try await xrpc.call("com.atproto.sync.getRepo", query: "did=\(kim.did)").body
            _ = try await xrpc.call("com.atproto.server.deactivateAccount", token: jo.accessJwt, json: [:])
            let before = try await Self.storedRepo(services, try DID(jo.did))
            #expect(before.root != nil)

            let foreign = try await Self.importRepo(xrpc, jo, kimsRepo)
            #expect(foreign.status == .badRequest)
            #expect((foreign.json["message"] as? String)?.contains("is not \(jo.did)") == true, "\(foreign.text)")

            let large = try await Self.importRepo(xrpc, jo, [UInt8](repeating: 0, count: 5000))
            #expect(large.status == .contentTooLarge, "\(large.text)")
            let garbage = try await Self.importRepo(xrpc, jo, [1, 2, 3])
            #expect(garbage.status == .badRequest, "\(garbage.text)")
            #expect(try await Self.storedRepo(services, try DID(jo.did)) == before)
        }
    }

    /// The account's repo as the store holds it: its root and its records' URIs.
    static func storedRepo(_ services: PDSServices, _ did: DID) async throws -> StoredRepo {
        try await services.actorStore.read(did) {
            StoredRepo(root: try $0.repo.root()?.cid.description, records: try $0.record.listAll().map(\.uri.rawValue).sorted())
        }
    }

    /// What ``storedRepo(_:_:)`` reads.
    struct StoredRepo: Equatable {
        var root: String?
        var records: [String]
    }

    @Test func aTruncatedCAROrOneSignedByAnotherKeyIsRefusedWithTheRepoUnchanged() async throws {
        try await TestApplication.withAccount(handle: "lou.test") { _, services, xrpc, lou in
            _ = try await xrpc.createRecord(lou, record: XRPCTestClient.post("kept"))
            let snapshot = try await xrpc.call("com.atproto.sync.getRepo", query: "did=\(lou.did)").body
            let deactivated = try await xrpc.call("com.atproto.server.deactivateAccount", token: lou.accessJwt, json: [:])
            #expect(deactivated.status == .ok)
            let did = try DID(lou.did)
            let before = try await Self.storedRepo(services, did)
            #expect(before.root != nil && before.records.count == 1)

            // Cut in the middle of a block: the CAR ends early.
            let truncated = try await Self.importRepo(xrpc, lou, Array(snapshot.prefix(snapshot.count - 20)))
            #expect(truncated.status == .badRequest, "\(truncated.text)")
            #expect(truncated.json["error"] as? String == "InvalidRequest")
            #expect((truncated.json["message"] as? String)?.hasPrefix("Invalid repo: ") == true, "\(truncated.text)")
            #expect(try await Self.storedRepo(services, did) == before)

            // A well-formed repo of this DID, but signed by a key its DID document does not name.
            let forged = try Repo.create(
                storage: MemoryBlockstore(), did: did, keypair: Secp256k1Keypair(),
                writes: [.create(try NSID("app.bsky.feed.post"), RecordKey(TID(timestampMicroseconds: 1_700_000_000_000_000, clockID: 1)), .map(["text": .string("forged")]))])
            let wrongKey = try await Self.importRepo(xrpc, lou, try forged.exportCAR())
            #expect(wrongKey.status == .badRequest, "\(wrongKey.text)")
            #expect(wrongKey.json["error"] as? String == "InvalidRequest")
            #expect((wrongKey.json["message"] as? String)?.contains("bad signature") == true, "\(wrongKey.text)")
            #expect(try await Self.storedRepo(services, did) == before)
        }
    }
}
