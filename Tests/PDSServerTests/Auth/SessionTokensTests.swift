import ATCore
import ATCrypto
import Foundation
import Testing

@testable import PDSServer

@Suite struct SessionTokensTests {
    let tokens = SessionTokens(jwtSecret: "0123456789abcdef0123456789abcdef", serviceDID: "did:web:pds.test")
    let did = try! DID("did:plc:abcdefghijklmnopqrstuvwx")

    func part(_ json: String) -> String { Base64.encodeURL(Array(json.utf8)) }

    @Test func accessTokenRoundTrip() throws {
        let token = try tokens.createAccessToken(did: did, scope: .appPass)
        let access = try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.standard)
        #expect(access == .init(did: did, scope: .appPass))
        let jwt = try JWT(compact: token)
        #expect(jwt.header == .init(alg: "HS256", typ: "at+jwt"))
        #expect(jwt.claims.exp! - jwt.claims.iat! == 7200)
        #expect(jwt.claims.jti == nil)
    }

    @Test func appPasswordsAreRefusedWhereFullAccessIsRequired() throws {
        let token = try tokens.createAccessToken(did: did, scope: .appPass)
        #expect(throws: AuthError.invalidToken("Bad token scope")) {
            try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.full)
        }
    }

    @Test func refreshTokenRoundTripAndTypeConfusion() throws {
        let (token, id, expiresAt) = try tokens.createRefreshToken(did: did)
        let refresh = try tokens.verifyRefreshToken(token)
        #expect(refresh.id == id)
        #expect(abs(refresh.expiresAt.timeIntervalSince(expiresAt)) < 1)
        #expect(throws: AuthError.invalidToken("Invalid token type")) {
            try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.standard)
        }
        let access = try tokens.createAccessToken(did: did, scope: .access)
        #expect(throws: AuthError.invalidToken("Invalid token type")) { try tokens.verifyRefreshToken(access) }
    }

    @Test func expiredTokens() throws {
        let past = Date(timeIntervalSinceNow: -3 * 3600)
        let token = try tokens.createAccessToken(did: did, scope: .access, now: past)
        #expect(throws: AuthError.expiredToken) {
            try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.full)
        }
        let (refresh, _, _) = try tokens.createRefreshToken(did: did, now: Date(timeIntervalSinceNow: -91 * 86400))
        #expect(throws: AuthError.expiredToken) { try tokens.verifyRefreshToken(refresh) }
        #expect(try tokens.verifyRefreshToken(refresh, allowExpired: true).did == did)
    }

    @Test func algNoneIsRefused() throws {
        let now = Int(Date().timeIntervalSince1970)
        let claims = #"{"aud":"did:web:pds.test","exp":\#(now + 600),"iat":\#(now),"scope":"com.atproto.access","sub":"\#(did)"}"#
        for alg in ["none", "None", "HS512"] {
            let token = part(#"{"alg":"\#(alg)","typ":"at+jwt"}"#) + "." + part(claims) + "."
            #expect(throws: AuthError.self) { try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.full) }
        }
    }

    @Test func asymmetricTokensAreNotSessionTokens() throws {
        // HS/ES confusion: a token signed by some secp256k1 key must never pass HS256 verification.
        let keypair = KeyAlgorithm.secp256k1.generateKeypair()
        let now = Int(Date().timeIntervalSince1970)
        let claims = JWTClaims(scope: "com.atproto.access", aud: "did:web:pds.test", sub: did.rawValue, iat: now, exp: now + 600)
        let token = try JWT.sign(typ: "at+jwt", claims: claims, keypair: keypair)
        #expect(throws: AuthError.invalidToken("Token could not be verified")) {
            try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.full)
        }
    }

    @Test func wrongAudienceOrSecretIsRefused() throws {
        let other = SessionTokens(jwtSecret: "0123456789abcdef0123456789abcdef", serviceDID: "did:web:other.test")
        let token = try other.createAccessToken(did: did, scope: .access)
        #expect(throws: AuthError.invalidToken("Invalid audience")) {
            try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.full)
        }
        let forged = SessionTokens(jwtSecret: "another-secret-another-secret-xx", serviceDID: "did:web:pds.test")
        #expect(throws: AuthError.invalidToken("Token could not be verified")) {
            try tokens.verifyAccessToken(
                try forged.createAccessToken(did: did, scope: .access), allowed: SessionTokens.Scope.full)
        }
    }

    @Test(arguments: ["", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA"])
    func malformedTokens(_ token: String) {
        #expect(throws: AuthError.self) { try tokens.verifyAccessToken(token, allowed: SessionTokens.Scope.full) }
    }
}

@Suite struct ServiceJWTTests {
    @Test func es256kAndEs256RoundTripAndAlgMustMatchTheKey() throws {
        let k256 = KeyAlgorithm.secp256k1.generateKeypair()
        let p256 = KeyAlgorithm.p256.generateKeypair()
        let claims = JWTClaims(aud: "did:web:pds.test", iss: "did:plc:abc", iat: 1, exp: 2, lxm: "com.atproto.repo.getRecord")
        let a = try JWT(compact: JWT.sign(claims: claims, keypair: k256))
        let b = try JWT(compact: JWT.sign(claims: claims, keypair: p256))
        #expect(a.header.alg == "ES256K")
        #expect(b.header.alg == "ES256")
        #expect(a.verify(key: k256.publicKey))
        #expect(b.verify(key: p256.publicKey))
        #expect(!a.verify(key: p256.publicKey))
        #expect(!b.verify(key: k256.publicKey))
        #expect(a.claims.lxm == "com.atproto.repo.getRecord")
    }
}
