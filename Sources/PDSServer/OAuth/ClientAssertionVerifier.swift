import ATCore
import Foundation

/// Checks `private_key_jwt` client assertions (RFC 7523 §3, atproto.com/specs/oauth §Confidential clients): a
/// compact JWS signed with one of the client's published keys in the algorithm its metadata names, `iss` and `sub`
/// the client id, `aud` this authorization server, `iat` at most ``maxAge`` old, `exp` (when present) not passed,
/// and a `jti` never presented before while the assertion could still be used.
package struct ClientAssertionVerifier: Sendable {
    /// The assertion type the client must name (`client_assertion_type`).
    package static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// The oldest an assertion's `iat` may be, as the reference's client assertion age limit (1 minute).
    static let maxAge: TimeInterval = 60
    /// Clock tolerance either side.
    static let clockTolerance: TimeInterval = 10
    static let window = IssuedAtWindow(maxAge: maxAge, tolerance: clockTolerance)

    /// The issuer: the only accepted audience.
    let issuer: String
    let replay: ReplayCache

    /// - Parameters:
    ///   - issuer: the authorization server's issuer (its public URL).
    ///   - replay: where seen `jti`s are kept.
    package init(issuer: String, replay: ReplayCache) {
        self.issuer = issuer
        self.replay = replay
    }

    private struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    private struct Claims: Decodable {
        var iss: String?
        var sub: String?
        var aud: Audience?
        var jti: String?
        var iat: Double?
        var exp: Double?
    }

    /// `aud`: one string or a list.
    private struct Audience: Decodable {
        var values: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                values = [one]
            } else {
                values = try container.decode([String].self)
            }
        }
    }

    /// Verifies `assertion` for `client`.
    /// - Parameters:
    ///   - assertion: the `client_assertion` value.
    ///   - client: the client's validated metadata (its `token_endpoint_auth_signing_alg`).
    ///   - keys: the client's public keys (its `jwks`, or the document `jwks_uri` names).
    ///   - now: the time.
    /// - Returns: the key that signed it: its `kid`, or its thumbprint when it has none.
    /// - Throws: ``OAuthError/invalidClient(_:)``.
    package func verify(assertion: String, client: OAuthClientMetadata, keys: [ECPublicJWK], now: Date)
        throws(OAuthError) -> String
    {
        guard let jws = JWSCompact<Header, Claims>(assertion) else {
            throw .invalidClient("Malformed client assertion")
        }
        let (header, claims) = (jws.header, jws.claims)
        guard header.alg == (client.token_endpoint_auth_signing_alg ?? "ES256") else {
            throw .invalidClient("The client assertion's alg is not the client's token_endpoint_auth_signing_alg")
        }
        let candidates = keys.filter { key in
            key.algorithm == header.alg && (key.alg == nil || key.alg == header.alg)
                && (header.kid == nil || key.kid == header.kid)
        }
        guard let key = candidates.first(where: jws.isSigned(by:)) else {
            throw .invalidClient("The client assertion is not signed by one of the client's keys")
        }
        guard claims.iss == client.client_id, claims.sub == client.client_id else {
            throw .invalidClient("The client assertion's iss and sub must be the client_id")
        }
        guard claims.aud?.values.contains(issuer) == true else {
            throw .invalidClient("The client assertion's aud must be this authorization server")
        }
        guard let iat = claims.iat, Self.window.accepts(iat, now: now) else {
            throw .invalidClient("The client assertion's iat is missing or too old")
        }
        if let exp = claims.exp, exp + Self.clockTolerance <= now.timeIntervalSince1970 {
            throw .invalidClient("The client assertion has expired")
        }
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else {
            throw .invalidClient("The client assertion's jti is missing")
        }
        let expires = Self.window.replayExpiry(iat: iat)
        guard replay.isUnique("client-assertion:\(client.client_id):\(jti)", expiresAt: expires, now: now) else {
            throw .invalidClient("The client assertion was replayed")
        }
        return key.kid ?? key.thumbprint
    }
}
