import ATCore
import Crypto
import Foundation
import Testing

@testable import PDSServer

/// `private_key_jwt` client assertions: ES256 JWSs made here with swift-crypto.
@Suite struct ClientAssertionVerifierTests {
    static let issuer = "https://pds.example.com"
    static let clientID = "https://app.example.com/oauth-client-metadata.json"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A client key and its public JWK.
    struct ClientKey {
        let key = P256.Signing.PrivateKey()
        let kid: String
        var jwk: ECPublicJWK {
            let raw = Array(key.publicKey.rawRepresentation)
            return ECPublicJWK(
                kty: "EC", crv: "P-256", x: Base64.encodeURL(Array(raw[0..<32])),
                y: Base64.encodeURL(Array(raw[32...])),
                d: nil, kid: kid, alg: "ES256")
        }

        /// A signed assertion with `claims` over the defaults (a valid one).
        func assertion(_ claims: [String: Any] = [:]) throws -> String {
            var body: [String: Any] = [
                "iss": ClientAssertionVerifierTests.clientID, "sub": ClientAssertionVerifierTests.clientID,
                "aud": ClientAssertionVerifierTests.issuer, "jti": UUID().uuidString,
                "iat": Int(ClientAssertionVerifierTests.now.timeIntervalSince1970),
                "exp": Int(ClientAssertionVerifierTests.now.timeIntervalSince1970) + 60,
            ]
            body.merge(claims) { $1 }
            let header = try JSONSerialization.data(withJSONObject: ["alg": "ES256", "kid": kid], options: .sortedKeys)
            let payload = try JSONSerialization.data(withJSONObject: body, options: .sortedKeys)
            let input = Base64.encodeURL(Array(header)) + "." + Base64.encodeURL(Array(payload))
            let signature = try key.signature(for: Data(input.utf8)).rawRepresentation
            return input + "." + Base64.encodeURL(Array(signature))
        }
    }

    static var client: OAuthClientMetadata {
        var client = OAuthClientMetadata.loopback(clientID: "http://localhost")!
        client.client_id = clientID
        client.token_endpoint_auth_method = "private_key_jwt"
        client.token_endpoint_auth_signing_alg = "ES256"
        return client
    }

    @Test func acceptsAValidAssertionAndRefusesItsReplay() throws {
        let verifier = ClientAssertionVerifier(issuer: Self.issuer, replay: ReplayCache())
        let key = ClientKey(kid: "k1")
        let assertion = try key.assertion()
        let kid = try verifier.verify(assertion: assertion, client: Self.client, keys: [key.jwk], now: Self.now)
        #expect(kid == "k1")
        #expect(throws: OAuthError.invalidClient("The client assertion was replayed")) {
            try verifier.verify(assertion: assertion, client: Self.client, keys: [key.jwk], now: Self.now)
        }
    }

    @Test func refusesWrongAudienceKeyIssuerAndTime() throws {
        let verifier = ClientAssertionVerifier(issuer: Self.issuer, replay: ReplayCache())
        let key = ClientKey(kid: "k1")
        let other = ClientKey(kid: "k1")
        let t = Int(Self.now.timeIntervalSince1970)
        let cases: [(String, String)] = [
            (
                try key.assertion(["aud": "https://other.example.com"]),
                "The client assertion's aud must be this authorization server"
            ),
            (try other.assertion(), "The client assertion is not signed by one of the client's keys"),
            (
                try key.assertion(["iss": "https://evil.example.com/client.json"]),
                "The client assertion's iss and sub must be the client_id"
            ),
            (try key.assertion(["iat": t - 600, "exp": t - 540]), "The client assertion's iat is missing or too old"),
            (try key.assertion(["exp": t - 30]), "The client assertion has expired"),
            (try key.assertion(["jti": ""]), "The client assertion's jti is missing"),
            ("a.b", "Malformed client assertion"),
        ]
        for (assertion, message) in cases {
            #expect(throws: OAuthError.invalidClient(message)) {
                try verifier.verify(assertion: assertion, client: Self.client, keys: [key.jwk], now: Self.now)
            }
        }
        // An audience list naming this server is accepted.
        _ = try verifier.verify(
            assertion: try key.assertion(["aud": [Self.issuer, "x"]]), client: Self.client, keys: [key.jwk],
            now: Self.now)
    }

    @Test func metadataRules() throws {
        var client = Self.client
        client.scope = "atproto"
        client.dpop_bound_access_tokens = true
        client.redirect_uris = ["https://app.example.com/callback"]
        client.application_type = "web"
        #expect(
            throws: OAuthError.invalidClientMetadata(
                "private_key_jwt clients must give exactly one of jwks and jwks_uri")
        ) {
            try client.validate(clientID: Self.clientID)
        }
        client.jwks = OAuthJWKSet(keys: [ClientKey(kid: "k1").jwk])
        try client.validate(clientID: Self.clientID)
        client.token_endpoint_auth_signing_alg = nil
        #expect(throws: OAuthError.invalidClientMetadata("token_endpoint_auth_signing_alg must be ES256 or ES256K")) {
            try client.validate(clientID: Self.clientID)
        }
    }
}
