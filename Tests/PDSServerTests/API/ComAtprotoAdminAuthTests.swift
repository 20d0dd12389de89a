import ATCore
import ATCrypto
import Foundation
import HTTPTypes
import Identity
import PDSTestSupport
import ServiceDB
import Testing

@testable import PDSServer

/// The `moderator` verifier of the admin methods: admin Basic, or a service JWT from `PDS_MOD_SERVICE_DID` (signed
/// with its `#atproto` key, or its `#atproto_label` key as `did#atproto_labeler`); the `adminToken` methods take only
/// Basic.
@Suite struct ComAtprotoAdminAuthTests {
    /// A moderation service whose DID document is in the server's embedded PLC directory.
    struct ModService {
        let did: DID
        let key = Secp256k1Keypair()
        let labelKey = Secp256k1Keypair()
        let genesis: PLCOperation

        init() throws {
            let rotation = Secp256k1Keypair()
            var state = PLCState.atproto(
                signingKey: key.did, handle: try Handle("mod.example.com"), pdsEndpoint: "https://mod.example.com",
                rotationKeys: [rotation.did])
            state.verificationMethods["atproto_label"] = labelKey.did
            (did, genesis) = try PLCOperation.genesis(state: state, signer: rotation)
        }

        /// A service JWT for `lxm`, to `aud`, from `iss` (the DID by default), signed with `key`.
        func token(
            lxm: String?, aud: String, iss: String? = nil, key signer: (any Keypair)? = nil
        ) throws -> String {
            let now = Int(Date().timeIntervalSince1970)
            return try JWT.sign(
                claims: JWTClaims(aud: aud, iss: iss ?? did.rawValue, iat: now, exp: now + 60, lxm: lxm),
                keypair: signer ?? key)
        }
    }

    /// Runs `body` against a server trusting `mod`, with one account.
    static func withModService(
        _ mod: ModService, _ body: @escaping @Sendable (PDSServices, XRPCTestClient, XRPCSession) async throws -> Void
    ) async throws {
        let environment = ["PDS_MOD_SERVICE_URL": "https://mod.example.com", "PDS_MOD_SERVICE_DID": mod.did.rawValue]
        try await TestApplication.withAccount(environment, handle: "alice.test") { _, services, xrpc, alice in
            try await services.plcClient.sendOperation(mod.did, mod.genesis)
            try await body(services, xrpc, alice)
        }
    }

    @Test func modServiceTokensPassTheModeratorMethods() async throws {
        let mod = try ModService()
        try await Self.withModService(mod) { services, xrpc, alice in
            let aud = services.configuration.service.did
            let lxm = "com.atproto.admin.getAccountInfo"
            func get(_ token: String) async throws -> XRPCReply {
                try await xrpc.call(lxm, token: token, query: "did=\(alice.did)")
            }
            let ok = try await get(try mod.token(lxm: lxm, aud: aud))
            #expect(ok.status == .ok, "\(ok.text)")
            #expect(ok.json["handle"] as? String == "alice.test")
            let labeler = try await get(
                try mod.token(lxm: lxm, aud: aud, iss: "\(mod.did.rawValue)#atproto_labeler", key: mod.labelKey))
            #expect(labeler.status == .ok, "\(labeler.text)")

            let other = Secp256k1Keypair()
            for (token, error) in [
                (try mod.token(lxm: "com.atproto.admin.getInviteCodes", aud: aud), "BadJwtLexiconMethod"),
                (try mod.token(lxm: nil, aud: aud), "BadJwtLexiconMethod"),
                (try mod.token(lxm: lxm, aud: "did:web:elsewhere.example"), "BadJwtAudience"),
                (try mod.token(lxm: lxm, aud: aud, key: other), "BadJwtSignature"),
                (try mod.token(lxm: lxm, aud: aud, iss: "\(mod.did.rawValue)#atproto_labeler"), "BadJwtSignature"),
                (try mod.token(lxm: lxm, aud: aud, iss: alice.did, key: other), "UntrustedIss"),
            ] {
                let reply = try await get(token)
                #expect(reply.status == .unauthorized && reply.error == error, "\(error): \(reply.text)")
            }

            let takedown = try await xrpc.call(
                "com.atproto.admin.updateSubjectStatus",
                token: try mod.token(lxm: "com.atproto.admin.updateSubjectStatus", aud: aud),
                json: [
                    "subject": ["$type": "com.atproto.admin.defs#repoRef", "did": alice.did],
                    "takedown": ["applied": true, "ref": "mod-1"],
                ])
            #expect(takedown.status == .ok, "\(takedown.text)")
            #expect(try await services.serviceDB.account(did: try DID(alice.did))?.takedownRef == "mod-1")
        }
    }

    @Test func adminTokenMethodsRefuseModServiceTokens() async throws {
        let mod = try ModService()
        try await Self.withModService(mod) { services, xrpc, alice in
            let aud = services.configuration.service.did
            for (method, input) in [
                ("updateAccountPassword", ["did": alice.did, "password": "new-password-1"]),
                ("updateAccountEmail", ["account": alice.did, "email": "new@example.com"]),
                ("updateAccountHandle", ["did": alice.did, "handle": "alice2.test"]),
            ] {
                let lxm = "com.atproto.admin.\(method)"
                let reply = try await xrpc.call(lxm, token: try mod.token(lxm: lxm, aud: aud), json: input)
                #expect(reply.status == .unauthorized, "\(method): \(reply.text)")
            }
            #expect(try await services.serviceDB.account(did: try DID(alice.did))?.email == "alice.test@example.com")
        }
    }

    @Test func withoutAModServiceBearerTokensAreUntrusted() async throws {
        let mod = try ModService()
        try await TestApplication.withAccount(handle: "bob.test") { _, services, xrpc, bob in
            try await services.plcClient.sendOperation(mod.did, mod.genesis)
            let lxm = "com.atproto.admin.getAccountInfo"
            let reply = try await xrpc.call(
                lxm, token: try mod.token(lxm: lxm, aud: services.configuration.service.did), query: "did=\(bob.did)")
            #expect(reply.status == .unauthorized && reply.error == "UntrustedIss", "\(reply.text)")
        }
    }
}
