import ATCore
import ATCrypto
import Crypto
import Foundation

/// A compact JWS (`header.payload.signature`), parsed but not yet verified.
package struct JWT: Sendable {
    /// The protected header fields atproto uses.
    package struct Header: Codable, Sendable, Equatable {
        package var alg: String
        package var typ: String?
    }

    /// The header.
    package let header: Header
    /// The claims.
    package let claims: JWTClaims
    /// `base64url(header).base64url(payload)`, the bytes the signature covers.
    package let signingInput: [UInt8]
    /// The raw signature.
    package let signature: [UInt8]

    /// Parses a compact JWT.
    /// - Throws: `AuthError.invalidToken` when it is not three base64url parts holding JSON objects.
    package init(compact token: some StringProtocol) throws(AuthError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 16 * 1024 else { throw .invalidToken("Malformed token") }
        do {
            let decoder = JSONDecoder()
            header = try decoder.decode(Header.self, from: Data(Base64.decodeURL(parts[0])))
            claims = try decoder.decode(JWTClaims.self, from: Data(Base64.decodeURL(parts[1])))
            signature = try Base64.decodeURL(parts[2], strict: true)
        } catch {
            throw .invalidToken("Malformed token")
        }
        signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
    }

    // MARK: - HS256

    /// Signs claims with HMAC-SHA256 (the session tokens' `alg`).
    package static func signHS256(typ: String, claims: JWTClaims, secret: SymmetricKey) throws -> String {
        let input = try signingInput(header: Header(alg: "HS256", typ: typ), claims: claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: secret)
        return input + "." + Base64.encodeURL(Array(mac))
    }

    /// Whether this is an HS256 token whose MAC verifies with `secret` (constant-time comparison).
    package func verifyHS256(secret: SymmetricKey) -> Bool {
        header.alg == "HS256"
            && HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: secret)
    }

    // MARK: - ES256K / ES256

    /// Signs claims with an account or rotation key (`ES256K` for secp256k1, `ES256` for P-256).
    package static func sign(typ: String = "JWT", claims: JWTClaims, keypair: any Keypair) throws -> String {
        let input = try signingInput(header: Header(alg: keypair.jwtAlgorithm, typ: typ), claims: claims)
        return input + "." + Base64.encodeURL(try keypair.sign(Array(input.utf8)))
    }

    /// Whether the token's `alg` matches `key`'s curve and its low-S compact signature verifies.
    package func verify(key: any VerifyingKey) -> Bool {
        header.alg == key.jwtAlgorithm && key.verify(signature: signature, message: signingInput)
    }

    static func signingInput(header: Header, claims: JWTClaims) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Base64.encodeURL(Array(try encoder.encode(header))) + "."
            + Base64.encodeURL(Array(try encoder.encode(claims)))
    }
}

/// The claims atproto tokens carry. Times are integer seconds since the epoch.
package struct JWTClaims: Codable, Sendable, Equatable {
    package var scope: String?
    package var aud: String?
    package var sub: String?
    package var iss: String?
    package var iat: Int?
    package var exp: Int?
    package var jti: String?
    package var lxm: String?
    /// Whether a `cnf` (DPoP key binding) claim is present: such tokens are never legacy session tokens.
    package var hasConfirmation: Bool

    /// Creates claims.
    package init(
        scope: String? = nil, aud: String? = nil, sub: String? = nil, iss: String? = nil, iat: Int? = nil,
        exp: Int? = nil, jti: String? = nil, lxm: String? = nil
    ) {
        self.scope = scope
        self.aud = aud
        self.sub = sub
        self.iss = iss
        self.iat = iat
        self.exp = exp
        self.jti = jti
        self.lxm = lxm
        self.hasConfirmation = false
    }

    enum CodingKeys: String, CodingKey {
        case scope, aud, sub, iss, iat, exp, jti, lxm, cnf
    }

    private struct Anything: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scope = try c.decodeIfPresent(String.self, forKey: .scope)
        aud = try c.decodeIfPresent(String.self, forKey: .aud)
        sub = try c.decodeIfPresent(String.self, forKey: .sub)
        iss = try c.decodeIfPresent(String.self, forKey: .iss)
        iat = try c.decodeIfPresent(Int.self, forKey: .iat)
        exp = try c.decodeIfPresent(Int.self, forKey: .exp)
        jti = try c.decodeIfPresent(String.self, forKey: .jti)
        lxm = try c.decodeIfPresent(String.self, forKey: .lxm)
        hasConfirmation = c.contains(.cnf)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(scope, forKey: .scope)
        try c.encodeIfPresent(aud, forKey: .aud)
        try c.encodeIfPresent(sub, forKey: .sub)
        try c.encodeIfPresent(iss, forKey: .iss)
        try c.encodeIfPresent(iat, forKey: .iat)
        try c.encodeIfPresent(exp, forKey: .exp)
        try c.encodeIfPresent(jti, forKey: .jti)
        try c.encodeIfPresent(lxm, forKey: .lxm)
    }

    /// Whether `exp` is missing or not after `now`.
    package func isExpired(at now: Date) -> Bool {
        guard let exp else { return true }
        return Double(exp) <= now.timeIntervalSince1970
    }
}
