import ATCore
import ATCrypto
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import PDSTestSupport
import Testing

@testable import PDSServer

@Suite struct AuthVerifierTests {
    static func request(authorization: String?) -> Request {
        var head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/xrpc/x.y.z")
        if let authorization { head.headerFields[.authorization] = authorization }
        return Request(head: head, body: .init(buffer: ByteBuffer()))
    }

    static func withVerifier(_ body: (PDSServices) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            try await body(try TestApplication.services(dataDirectory: dir))
        }
    }

    @Test func headerParsing() throws {
        #expect(throws: AuthError.invalidToken("Malformed authorization header")) {
            try AuthVerifier.credentials(Self.request(authorization: "Bearer"))
        }
        #expect(throws: AuthError.invalidToken("Malformed authorization header")) {
            try AuthVerifier.credentials(Self.request(authorization: "Bearer a b"))
        }
        #expect(throws: AuthError.invalidToken("Unexpected authorization type")) {
            try AuthVerifier.credentials(Self.request(authorization: "Token abc"))
        }
        #expect(try AuthVerifier.credentials(Self.request(authorization: nil)) == nil)
        guard case .bearer("abc") = try AuthVerifier.credentials(Self.request(authorization: "bEaReR abc")) else {
            Issue.record("scheme should be case-insensitive")
            return
        }
    }

    @Test func accessTokenScopes() async throws {
        try await Self.withVerifier { services in
            let did = try DID("did:plc:abcdefghijklmnopqrstuvwx")
            let appPass = try services.tokens.createAccessToken(did: did, scope: .appPass)
            let output = try await services.authVerifier.access(
                Self.request(authorization: "Bearer \(appPass)"), scopes: SessionTokens.Scope.standard)
            #expect(output.did == did && output.scope == .appPass && output.account == nil)
            await #expect(throws: AuthError.invalidToken("Bad token scope")) {
                try await services.authVerifier.access(
                    Self.request(authorization: "Bearer \(appPass)"), scopes: SessionTokens.Scope.full)
            }
            let takendown = try services.tokens.createAccessToken(did: did, scope: .takendown)
            await #expect(throws: AuthError.invalidToken("Bad token scope")) {
                try await services.authVerifier.access(
                    Self.request(authorization: "Bearer \(takendown)"), scopes: SessionTokens.Scope.standard)
            }
            _ = try await services.authVerifier.access(
                Self.request(authorization: "Bearer \(takendown)"), scopes: SessionTokens.Scope.standard,
                allowTakendown: true)
            await #expect(throws: AuthError.authMissing) {
                try await services.authVerifier.access(Self.request(authorization: nil), scopes: SessionTokens.Scope.full)
            }
        }
    }

    @Test func esSignedTokenIsNotAnAccessToken() async throws {
        try await Self.withVerifier { services in
            let did = "did:plc:abcdefghijklmnopqrstuvwx"
            let claims = JWTClaims(
                scope: "com.atproto.access", aud: services.configuration.service.did, sub: did,
                iat: Int(Date().timeIntervalSince1970), exp: Int(Date().timeIntervalSince1970) + 60)
            let token = try JWT.sign(typ: "at+jwt", claims: claims, keypair: Secp256k1Keypair())
            await #expect(throws: AuthError.invalidToken("Token could not be verified")) {
                try await services.authVerifier.access(
                    Self.request(authorization: "Bearer \(token)"), scopes: SessionTokens.Scope.full)
            }
        }
    }

    @Test func adminBasicAuth() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(["PDS_ADMIN_PASSWORD": "s3cret:with-colon"], dataDirectory: dir)
            let good = "Basic " + Base64.encode(Array("admin:s3cret:with-colon".utf8))
            try services.authVerifier.admin(Self.request(authorization: good))
            for bad in ["admin:wrong", "root:s3cret:with-colon", "nocolon"] {
                #expect(throws: AuthError.self) {
                    try services.authVerifier.admin(Self.request(authorization: "Basic " + Base64.encode(Array(bad.utf8))))
                }
            }
        }
    }

    @Test func serviceAuthChecksAudienceMethodAndSignature() async throws {
        try await Self.withVerifier { services in
            // An account whose DID document lives in the embedded PLC directory.
            let signing = Secp256k1Keypair()
            let state = PLCState.atproto(
                signingKey: signing.did, handle: try Handle("svc.test"), pdsEndpoint: "http://localhost",
                rotationKeys: [services.plcRotationKey.did])
            let (did, _) = try await services.plcClient.createDID(state: state, signer: services.plcRotationKey)
            let now = Int(Date().timeIntervalSince1970)
            func token(
                aud: String = services.configuration.service.did, lxm: String? = "com.atproto.server.createAccount",
                exp: Int = now + 60, key: any Keypair = signing
            ) throws -> String {
                try JWT.sign(claims: JWTClaims(aud: aud, iss: did.rawValue, iat: now, exp: exp, lxm: lxm), keypair: key)
            }
            let verifier = services.authVerifier
            let lxm = "com.atproto.server.createAccount"
            let ok = try await verifier.verifyServiceJWT(try token(), lxm: lxm)
            #expect(ok.iss == did)
            let p256 = P256Keypair()
            for (bad, name) in [
                (try token(aud: "did:web:elsewhere.example"), "BadJwtAudience"),
                (try token(lxm: "com.atproto.repo.createRecord"), "BadJwtLexiconMethod"),
                (try token(lxm: nil), "BadJwtLexiconMethod"),
                (try token(exp: now - 1), "JwtExpired"),
                (try token(key: Secp256k1Keypair()), "BadJwtSignature"),
                (try token(key: p256), "BadJwtSignature"),
            ] {
                await #expect {
                    try await verifier.verifyServiceJWT(bad, lxm: lxm)
                } throws: { error in
                    guard case .serviceAuth(let got, _) = error as? AuthError else { return false }
                    return got == name
                }
            }
        }
    }
}
