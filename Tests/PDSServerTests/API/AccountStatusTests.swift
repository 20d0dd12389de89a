import ATCore
import ATCrypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Identity
import PDSTestSupport
import ServiceDB
import Testing

@testable import PDSServer

@Suite struct AccountStatusTests {
    @Test func takenDownAccountsCanOnlyLogInWithAllowTakendown() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let created = try await xrpc.createAccount(handle: "erin.test")
                let did = try DID(created.did)
                let refresh = created.refreshJwt
                try await services.serviceDB.setTakedown(did: did, ref: "mod-1")

                let login: [String: Any] = ["identifier": "erin.test", "password": "password-123"]
                let refused = try await xrpc.call("com.atproto.server.createSession", json: login)
                #expect(refused.status == .unauthorized)
                #expect(refused.error == "AccountTakedown")
                let allowed = try await xrpc.call(
                    "com.atproto.server.createSession", json: login.merging(["allowTakendown": true]) { $1 })
                #expect(allowed.status == .ok)
                let body = try allowed.jsonObject()
                #expect(body["active"] as? Bool == false && body["status"] as? String == "takendown")
                let access = try #require(body["accessJwt"] as? String)
                let claims = try JWT(compact: access).claims
                #expect(claims.scope == "com.atproto.takendown")
                // A taken-down token is refused where takedown is checked, and refresh is refused.
                let appPassword = try await xrpc.call(
                    "com.atproto.server.createAppPassword", token: access, json: ["name": "x"])
                #expect(appPassword.status == .badRequest)
                let refreshed = try await xrpc.call("com.atproto.server.refreshSession", method: .post, token: refresh)
                #expect(refreshed.status == .unauthorized)
                #expect(refreshed.error == "AccountTakedown")
            }
        }
    }

    @Test func bringYourOwnDIDNeedsServiceAuthAndStartsDeactivated() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            // An identity created elsewhere: its #atproto key signs the service-auth token.
            let oldKey = Secp256k1Keypair()
            let state = PLCState.atproto(
                signingKey: oldKey.did, handle: try Handle("frank.test"), pdsEndpoint: "https://old.example",
                rotationKeys: [services.plcRotationKey.did])
            let (did, _) = try await services.plcClient.createDID(state: state, signer: services.plcRotationKey)
            let now = Int(Date().timeIntervalSince1970)
            let claims = JWTClaims(
                aud: services.configuration.service.did, iss: did.rawValue, iat: now, exp: now + 60,
                lxm: "com.atproto.server.createAccount")
            let forged = try JWT.sign(claims: claims, keypair: Secp256k1Keypair())
            let genuine = try JWT.sign(claims: claims, keypair: oldKey)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let input: [String: Any] = [
                    "handle": "frank.test", "email": "frank@example.com", "password": "pw-123456", "did": did.rawValue,
                ]
                let anonymous = try await xrpc.call("com.atproto.server.createAccount", json: input)
                #expect(anonymous.status == .unauthorized)
                let badSignature = try await xrpc.call("com.atproto.server.createAccount", token: forged, json: input)
                #expect(badSignature.status == .unauthorized)
                #expect(badSignature.error == "BadJwtSignature")
                let created = try await xrpc.call("com.atproto.server.createAccount", token: genuine, json: input)
                #expect(created.status == .ok, "\(created.text)")
                let body = try created.jsonObject()
                #expect(body["did"] as? String == did.rawValue)
                let access = try #require(body["accessJwt"] as? String)
                let session = try (try await xrpc.call("com.atproto.server.getSession", token: access)).jsonObject()
                #expect(session["active"] as? Bool == false && session["status"] as? String == "deactivated")
            }
        }
    }
}
