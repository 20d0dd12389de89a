import ATCore
import Foundation

/// A compact JWS (RFC 7515 §7.1) split and decoded, before anything it says is checked: the one parser behind
/// ``DPoPVerifier`` and ``ClientAssertionVerifier``.
struct JWSCompact<Header: Decodable, Claims: Decodable> {
    /// The longest token read.
    static var maxLength: Int { 8 * 1024 }

    var header: Header
    var claims: Claims
    /// The signature bytes (`r || s` for the EC algorithms used here).
    var signature: [UInt8]
    /// `base64url(header) "." base64url(claims)`, what the signature covers.
    var signingInput: [UInt8]

    /// Splits and decodes `token`; `nil` when it is not three strict base64url parts (at most ``maxLength`` long)
    /// whose first two decode as `Header` and `Claims`.
    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= Self.maxLength,
            let headerBytes = try? Base64.decodeURL(parts[0], strict: true),
            let claimBytes = try? Base64.decodeURL(parts[1], strict: true),
            let signature = try? Base64.decodeURL(parts[2], strict: true),
            let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)),
            let claims = try? JSONDecoder().decode(Claims.self, from: Data(claimBytes))
        else { return nil }
        self.header = header
        self.claims = claims
        self.signature = signature
        self.signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
    }

    /// Whether `key` made the signature.
    func isSigned(by key: ECPublicJWK) -> Bool { key.verify(signature: signature, signingInput: signingInput) }
}

/// How old a JWS's `iat` may be, and how far either way clocks may disagree; also how long its `jti` must be
/// remembered to refuse a replay for as long as it would be accepted.
struct IssuedAtWindow: Sendable {
    /// The oldest an `iat` may be, before tolerance.
    var maxAge: TimeInterval
    /// Clock tolerance either side.
    var tolerance: TimeInterval

    /// Whether `iat` (seconds since 1970) is acceptable at `now`.
    func accepts(_ iat: Double, now: Date) -> Bool {
        let age = now.timeIntervalSince1970 - iat
        return age <= maxAge + tolerance && age >= -tolerance
    }

    /// Until when a token issued at `iat` could still be accepted: how long its `jti` is kept.
    func replayExpiry(iat: Double) -> Date { Date(timeIntervalSince1970: iat + maxAge + 2 * tolerance) }
}
