import ATCore
import ATCrypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import PDSTestSupport
import ServiceDB
import Testing

@testable import PDSServer

@Suite struct AccountStatusTests {
    typealias T = ComAtprotoServerTests

    @Test func takenDownAccountsCanOnlyLogInWithAllowTakendown() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let created = try await T.createAccount(client, handle: "erin.test")
                let did = try DID(try #require(created["did"] as? String))
                let refresh = try #require(created["refreshJwt"] as? String)
                try await services.serviceDB.setTakedown(did: did, ref: "mod-1")

                let login: [String: Any] = ["identifier": "erin.test", "password": "password-123"]
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.createSession", method: .post, headers: T.jsonHeaders,
                    body: try T.body(login)
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect((try? T.json(response.body))?["error"] as? String == "AccountTakedown")
                }
                let access = try await client.execute(
                    uri: "/xrpc/com.atproto.server.createSession", method: .post, headers: T.jsonHeaders,
                    body: try T.body(login.merging(["allowTakendown": true]) { $1 })
                ) { response in
                    #expect(response.status == .ok)
                    let body = try T.json(response.body)
                    #expect(body["active"] as? Bool == false && body["status"] as? String == "takendown")
                    return try #require(body["accessJwt"] as? String)
                }
                let claims = try JWT(compact: access).claims
                #expect(claims.scope == "com.atproto.takendown")
                // A taken-down token is refused where takedown is checked, and refresh is refused.
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.createAppPassword", method: .post, headers: T.bearer(access),
                    body: try T.body(["name": "x"])
                ) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: T.bearer(refresh)
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect((try? T.json(response.body))?["error"] as? String == "AccountTakedown")
                }
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
            let input = try T.body([
                "handle": "frank.test", "email": "frank@example.com", "password": "pw-123456", "did": did.rawValue,
            ])
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.createAccount", method: .post, headers: T.jsonHeaders,
                    body: input
                ) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.createAccount", method: .post,
                    headers: T.bearer(forged), body: input
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect((try? T.json(response.body))?["error"] as? String == "BadJwtSignature")
                }
                let access = try await client.execute(
                    uri: "/xrpc/com.atproto.server.createAccount", method: .post,
                    headers: T.bearer(genuine), body: input
                ) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    let body = try T.json(response.body)
                    #expect(body["did"] as? String == did.rawValue)
                    return try #require(body["accessJwt"] as? String)
                }
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: T.bearer(access)
                ) { response in
                    let body = try T.json(response.body)
                    #expect(body["active"] as? Bool == false && body["status"] as? String == "deactivated")
                }
            }
        }
    }
}
