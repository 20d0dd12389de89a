import ATCore
import Crypto
import Foundation

/// The legacy session tokens (access and refresh JWTs), with the reference PDS's claims so that sessions
/// survive a switch between implementations.
package struct SessionTokens: Sendable {
    /// Scopes carried by access and refresh tokens.
    package enum Scope: String, Sendable, CaseIterable {
        case access = "com.atproto.access"
        case refresh = "com.atproto.refresh"
        case appPass = "com.atproto.appPass"
        case appPassPrivileged = "com.atproto.appPassPrivileged"
        case signupQueued = "com.atproto.signupQueued"
        case takendown = "com.atproto.takendown"

        /// Full access: the main password only.
        package static let full: Set<Scope> = [.access]
        /// Privileged: the main password or a privileged app password.
        package static let privileged: Set<Scope> = [.access, .appPassPrivileged]
        /// Standard: any password, including app passwords.
        package static let standard: Set<Scope> = [.access, .appPassPrivileged, .appPass]
    }

    /// A verified access token.
    package struct Access: Sendable, Equatable {
        package var did: DID
        package var scope: Scope
    }

    /// A verified refresh token.
    package struct Refresh: Sendable, Equatable {
        package var did: DID
        package var id: String
        package var expiresAt: Date
    }

    static let accessType = "at+jwt"
    static let refreshType = "refresh+jwt"
    /// Access tokens live 120 minutes.
    package static let accessLifetime: TimeInterval = 120 * 60
    /// Refresh tokens live 90 days.
    package static let refreshLifetime: TimeInterval = 90 * 24 * 3600

    let secret: SymmetricKey
    /// The audience: the PDS's service DID.
    package let serviceDID: String

    /// - Parameters:
    ///   - jwtSecret: `PDS_JWT_SECRET`, used as raw UTF-8 bytes as the reference does.
    ///   - serviceDID: the PDS's DID (`aud`).
    package init(jwtSecret: String, serviceDID: String) {
        self.secret = SymmetricKey(data: Array(jwtSecret.utf8))
        self.serviceDID = serviceDID
    }

    /// Creates an access token.
    package func createAccessToken(did: DID, scope: Scope, now: Date = Date()) throws -> String {
        let iat = Int(now.timeIntervalSince1970)
        let claims = JWTClaims(
            scope: scope.rawValue, aud: serviceDID, sub: did.rawValue, iat: iat, exp: iat + Int(Self.accessLifetime))
        return try JWT.signHS256(typ: Self.accessType, claims: claims, secret: secret)
    }

    /// A fresh refresh-token id: base64 of 32 random bytes, as the reference makes them.
    package static func newRefreshTokenID() -> String {
        var random = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in random.indices { random[i] = rng.next() }
        return Base64.encode(random)
    }

    /// Creates a refresh token.
    /// - Parameters:
    ///   - id: the `jti`; a fresh random id by default (rotation passes the stored successor id).
    /// - Returns: the token, its id (`jti`) and its expiry.
    package func createRefreshToken(did: DID, id: String = newRefreshTokenID(), now: Date = Date()) throws
        -> (token: String, id: String, expiresAt: Date)
    {
        let iat = Int(now.timeIntervalSince1970)
        let exp = iat + Int(Self.refreshLifetime)
        let claims = JWTClaims(
            scope: Scope.refresh.rawValue, aud: serviceDID, sub: did.rawValue, iat: iat, exp: exp, jti: id)
        let token = try JWT.signHS256(typ: Self.refreshType, claims: claims, secret: secret)
        return (token, id, Date(timeIntervalSince1970: TimeInterval(exp)))
    }

    /// Verifies an access token and its scope.
    /// - Parameters:
    ///   - allowed: the scopes the endpoint accepts.
    /// - Throws: `AuthError.expiredToken` or `AuthError.invalidToken`.
    package func verifyAccessToken(_ token: String, allowed: Set<Scope>, now: Date = Date()) throws(AuthError)
        -> Access
    {
        let (jwt, did) = try verify(token, type: Self.accessType, now: now)
        guard let raw = jwt.claims.scope, let scope = Scope(rawValue: raw), allowed.contains(scope) else {
            throw .invalidToken("Bad token scope")
        }
        return Access(did: did, scope: scope)
    }

    /// Verifies a refresh token.
    /// - Parameters:
    ///   - allowExpired: accept an expired token (deleteSession does, to revoke it).
    package func verifyRefreshToken(_ token: String, allowExpired: Bool = false, now: Date = Date())
        throws(AuthError) -> Refresh
    {
        let (jwt, did) = try verify(token, type: Self.refreshType, now: now, allowExpired: allowExpired)
        guard jwt.claims.scope == Scope.refresh.rawValue else { throw .invalidToken("Bad token scope") }
        guard let id = jwt.claims.jti, !id.isEmpty else { throw .invalidToken("Unexpected missing refresh token id") }
        return Refresh(did: did, id: id, expiresAt: Date(timeIntervalSince1970: TimeInterval(jwt.claims.exp ?? 0)))
    }

    private func verify(_ token: String, type: String, now: Date, allowExpired: Bool = false) throws(AuthError)
        -> (JWT, DID)
    {
        let jwt = try JWT(compact: token)
        // Only HS256 with our secret: `none`, ES256K and every other alg are refused before anything else.
        guard jwt.verifyHS256(secret: secret) else { throw .invalidToken("Token could not be verified") }
        guard jwt.header.typ == type else { throw .invalidToken("Invalid token type") }
        guard jwt.claims.lxm == nil, !jwt.claims.hasConfirmation else { throw .invalidToken("Malformed token") }
        guard jwt.claims.aud == serviceDID else { throw .invalidToken("Invalid audience") }
        guard let sub = jwt.claims.sub, let did = try? DID(sub) else { throw .invalidToken("Malformed token") }
        if !allowExpired && jwt.claims.isExpired(at: now) { throw .expiredToken }
        return (jwt, did)
    }
}
