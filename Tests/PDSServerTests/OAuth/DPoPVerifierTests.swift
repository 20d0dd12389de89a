import ATCore
import ATCrypto
import Crypto
import Foundation
import Testing

@testable import PDSServer

@Suite struct DPoPVerifierTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let url = "https://pds.example.com/oauth/token"

    /// A DPoP verifier whose nonces are derived from a fixed key at ``now``.
    static func verifier() -> DPoPVerifier {
        DPoPVerifier(
            nonces: DPoPNonces(secret: SymmetricKey(data: Array("0123456789abcdef0123".utf8)), now: { now }),
            replay: ReplayCache())
    }

    /// The public JWK of a keypair.
    static func jwk(_ keypair: any Keypair) -> ECPublicJWK {
        let point: [UInt8] =
            (keypair as? P256Keypair)?.publicKey.uncompressedPublicKey
            ?? (keypair as! Secp256k1Keypair).publicKey.uncompressedPublicKey
        return ECPublicJWK(
            kty: "EC", crv: keypair.algorithm == .p256 ? "P-256" : "secp256k1",
            x: Base64.encodeURL(point[1..<33]), y: Base64.encodeURL(point[33..<65]))
    }

    /// A signed proof with the given claims.
    static func proof(
        _ keypair: any Keypair, claims: [String: Any], typ: String = "dpop+jwt", includeJWK: Bool = true
    ) throws -> String {
        let key = jwk(keypair)
        var header: [String: Any] = ["alg": key.algorithm!, "typ": typ]
        if includeJWK { header["jwk"] = ["kty": key.kty, "crv": key.crv, "x": key.x, "y": key.y] }
        let input =
            Base64.encodeURL(Array(try JSONSerialization.data(withJSONObject: header))) + "."
            + Base64.encodeURL(Array(try JSONSerialization.data(withJSONObject: claims)))
        return input + "." + Base64.encodeURL(try keypair.sign(Array(input.utf8)))
    }

    static func claims(
        nonce: String?, jti: String = UUID().uuidString, htm: String = "POST", htu: String = url,
        iat: Date = now, ath: String? = nil
    ) -> [String: Any] {
        var claims: [String: Any] = ["jti": jti, "htm": htm, "htu": htu, "iat": Int(iat.timeIntervalSince1970)]
        if let nonce { claims["nonce"] = nonce }
        if let ath { claims["ath"] = ath }
        return claims
    }

    @Test(arguments: [KeyAlgorithm.p256, .secp256k1])
    func acceptsAValidProofAndBindsItsKey(algorithm: KeyAlgorithm) throws {
        let dpop = Self.verifier()
        let keypair: any Keypair = algorithm == .p256 ? P256Keypair() : Secp256k1Keypair()
        let proof = try Self.proof(keypair, claims: Self.claims(nonce: dpop.nonces.current))
        let verified = try dpop.verify(
            proof: proof, method: "POST", url: Self.url + "?ignored=1", accessToken: nil, now: Self.now)
        #expect(verified.jkt == Self.jwk(keypair).thumbprint)
        #expect(verified.htu == Self.url)
    }

    @Test func refusesReplayedProofs() throws {
        let dpop = Self.verifier()
        let proof = try Self.proof(P256Keypair(), claims: Self.claims(nonce: dpop.nonces.current))
        _ = try dpop.verify(proof: proof, method: "POST", url: Self.url, accessToken: nil, now: Self.now)
        #expect(throws: OAuthError.invalidDPoPProof("DPoP proof replayed")) {
            try dpop.verify(proof: proof, method: "POST", url: Self.url, accessToken: nil, now: Self.now)
        }
    }

    @Test func refusesWrongMethodURLAndTime() throws {
        let dpop = Self.verifier()
        let key = P256Keypair()
        let nonce = dpop.nonces.current
        #expect(throws: OAuthError.invalidDPoPProof("DPoP \"htm\" mismatch")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: nonce, htm: "GET")), method: "POST",
                url: Self.url, accessToken: nil, now: Self.now)
        }
        #expect(throws: OAuthError.invalidDPoPProof("DPoP \"htu\" mismatch")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: nonce, htu: "https://pds.example.com/oauth/par")),
                method: "POST", url: Self.url, accessToken: nil, now: Self.now)
        }
        #expect(throws: OAuthError.invalidDPoPProof("DPoP proof \"iat\" is outside the accepted window")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: nonce, iat: Self.now.addingTimeInterval(-600))),
                method: "POST", url: Self.url, accessToken: nil, now: Self.now)
        }
        #expect(throws: OAuthError.invalidDPoPProof("DPoP proof \"iat\" is outside the accepted window")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: nonce, iat: Self.now.addingTimeInterval(600))),
                method: "POST", url: Self.url, accessToken: nil, now: Self.now)
        }
    }

    @Test func requiresTheServerNonce() throws {
        let dpop = Self.verifier()
        let key = P256Keypair()
        #expect(throws: OAuthError.useDPoPNonce("DPoP \"nonce\" missing")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: nil)), method: "POST", url: Self.url,
                accessToken: nil, now: Self.now)
        }
        #expect(throws: OAuthError.useDPoPNonce("DPoP \"nonce\" mismatch")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: "stale")), method: "POST", url: Self.url,
                accessToken: nil, now: Self.now)
        }
        // A nonce stays good for the next rotation, and not for the one after.
        let old = DPoPNonces(secret: SymmetricKey(data: Array("0123456789abcdef0123".utf8)), now: { Self.now })
        let later = DPoPNonces(
            secret: SymmetricKey(data: Array("0123456789abcdef0123".utf8)),
            now: { Self.now.addingTimeInterval(DPoPNonces.rotation) })
        let muchLater = DPoPNonces(
            secret: SymmetricKey(data: Array("0123456789abcdef0123".utf8)),
            now: { Self.now.addingTimeInterval(3 * DPoPNonces.rotation) })
        #expect(later.check(old.current))
        #expect(!muchLater.check(old.current))
    }

    @Test func checksTheAccessTokenHash() throws {
        let dpop = Self.verifier()
        let key = Secp256k1Keypair()
        let token = "an.access.token"
        let ath = Base64.encodeURL(Array(SHA256.hash(data: Array(token.utf8))))
        _ = try dpop.verify(
            proof: try Self.proof(key, claims: Self.claims(nonce: dpop.nonces.current, ath: ath)), method: "POST",
            url: Self.url, accessToken: token, now: Self.now)
        #expect(throws: OAuthError.invalidDPoPProof("DPoP \"ath\" mismatch")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: dpop.nonces.current, ath: ath)), method: "POST",
                url: Self.url, accessToken: "another.token", now: Self.now)
        }
        #expect(throws: OAuthError.invalidDPoPProof("DPoP \"ath\" claim not allowed")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: dpop.nonces.current, ath: ath)), method: "POST",
                url: Self.url, accessToken: nil, now: Self.now)
        }
    }

    @Test func refusesBadHeadersAndSignatures() throws {
        let dpop = Self.verifier()
        let key = P256Keypair()
        let nonce = dpop.nonces.current
        #expect(throws: OAuthError.invalidDPoPProof("Invalid DPoP proof \"typ\"")) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: nonce), typ: "JWT"), method: "POST",
                url: Self.url, accessToken: nil, now: Self.now)
        }
        #expect(throws: OAuthError.self) {
            try dpop.verify(
                proof: try Self.proof(key, claims: Self.claims(nonce: nonce), includeJWK: false), method: "POST",
                url: Self.url, accessToken: nil, now: Self.now)
        }
        // Signed by another key than the header's.
        let genuine = try Self.proof(key, claims: Self.claims(nonce: nonce))
        let forged = try Self.proof(P256Keypair(), claims: Self.claims(nonce: nonce))
        let parts = genuine.split(separator: ".")
        let mixed = parts[0] + "." + parts[1] + "." + forged.split(separator: ".")[2]
        #expect(throws: OAuthError.invalidDPoPProof("DPoP proof signature is invalid")) {
            try dpop.verify(proof: String(mixed), method: "POST", url: Self.url, accessToken: nil, now: Self.now)
        }
    }

    @Test func thumbprintMatchesRFC9449Example() {
        // RFC 9449 §4.1's proof key and the `jkt` its §6.1 binds tokens to.
        let key = ECPublicJWK(
            kty: "EC", crv: "P-256", x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")
        #expect(key.thumbprint == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    }

    @Test func htuNormalisation() {
        #expect(
            DPoPVerifier.normalizedHTU("HTTPS://PDS.Example.com:443/xrpc/a?x=1#f") == "https://pds.example.com/xrpc/a")
        #expect(DPoPVerifier.normalizedHTU("http://localhost:2583/oauth/token") == "http://localhost:2583/oauth/token")
        #expect(DPoPVerifier.normalizedHTU("ftp://x/y") == nil)
    }

    @Test func pkceS256() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        #expect(PKCE.verify(verifier: verifier, challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
        #expect(!PKCE.verify(verifier: verifier + "x", challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
        #expect(!PKCE.verify(verifier: "short", challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
    }
}
