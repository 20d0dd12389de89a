import ATCore
import ATCrypto
import ActorStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Identity
import NIOCore
import PDSTestSupport
import Sequencer
import ServiceDB
import Testing

@testable import PDSServer

/// `com.atproto.identity.updateHandle`, `getRecommendedDidCredentials`, `submitPlcOperation` and `/tls-check`,
/// against the embedded PLC directory.
@Suite struct ComAtprotoIdentityTests {
    @Test func updateHandleRewritesThePLCDocumentAndAnnouncesIt() async throws {
        try await TestApplication.withAccount(handle: "alice.test") { _, services, xrpc, alice in
            let did = try DID(alice.did)
            let before = try await services.events(after: nil).last?.seq
            let changed = try await xrpc.call(
                "com.atproto.identity.updateHandle", token: alice.accessJwt, json: ["handle": "Alice2.test"])
            #expect(changed.status == .ok, "\(changed.text)")

            let document = try await services.didDocument(did, forceRefresh: true)
            #expect(document?.alsoKnownAs == ["at://alice2.test"])
            let resolved = try await xrpc.call("com.atproto.identity.resolveHandle", query: "handle=alice2.test")
            #expect(resolved.json["did"] as? String == alice.did)
            let old = try await xrpc.call("com.atproto.identity.resolveHandle", query: "handle=alice.test")
            #expect(old.error == "HandleNotFound")

            let events = try await services.events(after: before)
            #expect(events.map(\.type.rawValue) == ["identity"])
            #expect(events.first?.body["handle"]?.string == "alice2.test")

            // The same handle again: no PLC operation, but the event is sequenced again, as the reference.
            let log = try await services.plcClient.getOperationLog(did).count
            let again = try await xrpc.call(
                "com.atproto.identity.updateHandle", token: alice.accessJwt, json: ["handle": "alice2.test"])
            #expect(again.status == .ok)
            #expect(try await services.plcClient.getOperationLog(did).count == log)
        }
    }

    @Test func updateHandleRefusals() async throws {
        try await TestApplication.withAccount(handle: "carol.test") { _, services, xrpc, carol in
            _ = try await xrpc.createAccount(handle: "dave.test")
            let log = try await services.plcClient.getOperationLog(try DID(carol.did)).count
            let cases: [(String, String, String)] = [
                ("dave.test", "HandleNotAvailable", "Handle already taken: dave.test"),
                ("admin.test", "HandleNotAvailable", "Reserved handle"),
                ("ab.test", "InvalidHandle", "Handle too short"),
                ("not a handle", "InvalidHandle", "Handle is invalid: contains characters outside a-z, 0-9, '.' and '-'"),
                ("carol.example.com", "InvalidRequest", "External handle did not resolve to DID"),
            ]
            for (handle, error, message) in cases {
                let reply = try await xrpc.call(
                    "com.atproto.identity.updateHandle", token: carol.accessJwt, json: ["handle": handle])
                #expect(reply.status == .badRequest, "\(handle): \(reply.text)")
                #expect(reply.error == error, "\(handle): \(reply.text)")
                if error != "InvalidHandle" || handle != "not a handle" {
                    #expect(reply.json["message"] as? String == message, "\(handle): \(reply.text)")
                }
            }
            #expect(try await services.plcClient.getOperationLog(try DID(carol.did)).count == log)
            let account = try await services.serviceDB.account(did: try DID(carol.did))
            #expect(account?.handle?.rawValue == "carol.test")
        }
    }

    @Test func recommendedCredentialsNameThisServer() async throws {
        try await TestApplication.withAccount(handle: "erin.test") { _, services, xrpc, erin in
            let reply = try await xrpc.call("com.atproto.identity.getRecommendedDidCredentials", token: erin.accessJwt)
            #expect(reply.status == .ok, "\(reply.text)")
            let signingKey = try await services.actorStore.keypair(try DID(erin.did)).did
            #expect(reply.json["alsoKnownAs"] as? [String] == ["at://erin.test"])
            #expect(reply.json["rotationKeys"] as? [String] == [services.plcRotationKey.did])
            #expect((reply.json["verificationMethods"] as? [String: String])?["atproto"] == signingKey)
            let pds = (reply.json["services"] as? [String: Any])?["atproto_pds"] as? [String: String]
            #expect(pds == ["type": "AtprotoPersonalDataServer", "endpoint": services.configuration.service.publicURL])
        }
    }

    @Test func submitPlcOperationChecksItThenSendsIt() async throws {
        try await TestApplication.withAccount(handle: "gina.test") { _, services, xrpc, gina in
            let did = try DID(gina.did)
            let last = try await services.plcClient.getLastOperation(did)
            let state = try #require(last.state)
            let extraKey = Secp256k1Keypair().did

            func submit(_ change: (inout PLCState) -> Void) async throws -> XRPCReply {
                var edited = state
                change(&edited)
                let operation = try PLCOperation.update(prev: last.cid, state: edited, signer: services.plcRotationKey)
                let json = try JSONSerialization.jsonObject(with: Data(operation.jsonValue.serialized))
                return try await xrpc.call(
                    "com.atproto.identity.submitPlcOperation", token: gina.accessJwt, json: ["operation": json])
            }
            let refusals: [(String, (inout PLCState) -> Void)] = [
                ("Rotation keys do not include server's rotation key", { $0.rotationKeys = [extraKey] }),
                ("Incorrect type on atproto_pds service", {
                    $0.services["atproto_pds"] = PLCService(type: "Other", endpoint: services.configuration.service.publicURL)
                }),
                ("Incorrect endpoint on atproto_pds service", { $0.setPDSEndpoint("https://elsewhere.example.com") }),
                ("Incorrect signing key", { $0.verificationMethods["atproto"] = extraKey }),
                ("Incorrect handle in alsoKnownAs", { $0.alsoKnownAs = ["at://someone.else.test"] }),
            ]
            for (message, change) in refusals {
                let reply = try await submit(change)
                #expect(reply.status == .badRequest, "\(reply.text)")
                #expect(reply.json["message"] as? String == message, "\(reply.text)")
            }
            let garbage = try await xrpc.call(
                "com.atproto.identity.submitPlcOperation", token: gina.accessJwt, json: ["operation": ["type": "x"]])
            #expect(garbage.status == .badRequest, "\(garbage.text)")
            #expect(try await services.plcClient.getLastOperation(did) == last)

            let before = try await services.events(after: nil).last?.seq
            let accepted = try await submit { $0.rotationKeys.insert(extraKey, at: 0) }
            #expect(accepted.status == .ok, "\(accepted.text)")
            let now = try await services.plcClient.getLastOperation(did)
            #expect(now.state?.rotationKeys == [extraKey, services.plcRotationKey.did])
            let events = try await services.events(after: before)
            #expect(events.map(\.type.rawValue) == ["identity"])
        }
    }

    @Test func tlsCheckAnswersForTheHostnameAndHostedHandles() async throws {
        try await TestApplication.withAccount(handle: "hank.test") { _, _, xrpc, _ in
            func check(_ domain: String?) async throws -> (HTTPResponse.Status, String) {
                let uri = domain.map { "/tls-check?domain=\($0)" } ?? "/tls-check"
                return try await xrpc.client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
            }
            let hostname = try await check("localhost")
            #expect(hostname.0 == .ok && hostname.1 == #"{"success":true}"#)
            let answers = [
                try await check("hank.test").0, try await check("nobody.test").0, try await check("example.com").0,
                try await check(nil).0,
            ]
            #expect(answers == [.ok, .notFound, .badRequest, .badRequest])
        }
    }
}
