import ATCore
import ATCrypto
import Foundation

/// Service-auth JWTs this server issues for its accounts (reference §i.3): header `{typ: "JWT", alg}` (the
/// account key's, `ES256K`), claims `{iat, iss, aud, exp, lxm?, jti}` with `jti` 16 random bytes in hex, signed with
/// the account's signing key. `getServiceAuth` hands them to clients; ``Pipethrough`` sends one with every proxied
/// request.
package enum ServiceJWT {
    /// How long a token lives unless asked otherwise: 60 seconds.
    package static let defaultLifetime = 60

    /// Signs a service JWT.
    /// - Parameters:
    ///   - iss: the account the token speaks for.
    ///   - aud: the audience: a DID, optionally with a `#service` fragment (proxied requests use the bare DID).
    ///   - lxm: the method the token is bound to, if any.
    ///   - exp: the expiry in seconds since 1970 (default `iat` + ``defaultLifetime``).
    ///   - keypair: the account's signing key.
    ///   - now: the issue time.
    package static func sign(
        iss: DID, aud: String, lxm: String?, exp: Int? = nil, keypair: any Keypair, now: Date = Date()
    ) throws -> String {
        let iat = Int(now.timeIntervalSince1970)
        let claims = JWTClaims(
            aud: aud, iss: iss.rawValue, iat: iat, exp: exp ?? iat + defaultLifetime, jti: newJTI(), lxm: lxm)
        return try JWT.sign(typ: "JWT", claims: claims, keypair: keypair)
    }

    /// 16 random bytes in lower-case hex, as the reference's `randomStr(16, 'hex')`.
    static func newJTI() -> String {
        var rng = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(32)
        for _ in 0..<16 {
            let byte = UInt8.random(in: 0...255, using: &rng)
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
