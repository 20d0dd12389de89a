import ATCore
import Crypto
import Foundation

/// OAuth access tokens as the reference issues them (§i.2): `at+jwt`, HS256 under `PDS_JWT_SECRET`, with
/// `{iss, aud, sub, iat, exp, jti, cnf: {jkt}, client_id, scope}`. They are stateful: `jti` is the `token` row's
/// `tokenId`, looked up on every request, so a revoked session stops working at once.
package struct OAuthAccessToken: Sendable, Equatable, Codable {
    package struct Confirmation: Sendable, Equatable, Codable {
        package var jkt: String
    }

    package var iss: String
    package var aud: String
    package var sub: String
    package var iat: Int
    package var exp: Int
    package var jti: String
    package var cnf: Confirmation
    package var client_id: String
    package var scope: String

    static let type = "at+jwt"

    private struct Header: Codable {
        var alg: String
        var typ: String
    }

    /// Signs the token.
    package func sign(secret: SymmetricKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let input =
            Base64.encodeURL(Array(try encoder.encode(Header(alg: "HS256", typ: Self.type)))) + "."
            + Base64.encodeURL(Array(try encoder.encode(self)))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: secret)
        return input + "." + Base64.encodeURL(Array(mac))
    }

    /// Parses and checks the signature and type of a token; expiry and audience are the caller's.
    /// - Throws: ``OAuthError/invalidToken(_:)``.
    package static func verify(_ token: String, secret: SymmetricKey) throws(OAuthError) -> OAuthAccessToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 16 * 1024 else { throw .invalidToken("Malformed token") }
        let signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        do {
            let header = try JSONDecoder().decode(Header.self, from: Data(try Base64.decodeURL(parts[0], strict: true)))
            let signature = try Base64.decodeURL(parts[2], strict: true)
            guard header.alg == "HS256", header.typ == type,
                HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: secret)
            else { throw OAuthError.invalidToken("Invalid token") }
            return try JSONDecoder().decode(
                OAuthAccessToken.self, from: Data(try Base64.decodeURL(parts[1], strict: true)))
        } catch let error as OAuthError {
            throw error
        } catch {
            throw .invalidToken("Malformed token")
        }
    }
}

/// Identifiers in the reference's formats (`oauth-constants.ts`): a prefix and random bytes in hex.
package enum OAuthIdentifier {
    /// `req-` + 16 bytes: an authorization request.
    package static func requestID() -> String { random("req-", 16) }
    /// `cod-` + 32 bytes: an authorization code.
    package static func code() -> String { random("cod-", 32) }
    /// `tok-` + 16 bytes: an access token's `jti`.
    package static func tokenID() -> String { random("tok-", 16) }
    /// `ref-` + 32 bytes: a refresh token.
    package static func refreshToken() -> String { random("ref-", 32) }
    /// `dev-` + 16 bytes: a device.
    package static func deviceID() -> String { random("dev-", 16) }
    /// `ses-` + 16 bytes: a device's session.
    package static func sessionID() -> String { random("ses-", 16) }
    /// 32 random bytes, base64url: a CSRF token.
    package static func csrfToken() -> String { Base64.encodeURL(bytes(32)) }

    /// The `request_uri` PAR answers with for a request id.
    package static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

    static func random(_ prefix: String, _ count: Int) -> String { prefix + Hex.encode(bytes(count)) }

    static func bytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

/// PKCE (RFC 7636) with the only method atproto allows, `S256`.
package enum PKCE {
    /// Whether `verifier` (43 to 128 unreserved characters) hashes to `challenge`.
    package static func verify(verifier: String, challenge: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        guard (43...128).contains(verifier.count), verifier.allSatisfy(allowed.contains) else { return false }
        let computed = Base64.encodeURL(Array(SHA256.hash(data: Array(verifier.utf8))))
        return AuthVerifier.constantTimeEqual(Array(computed.utf8), Array(challenge.utf8))
    }
}
