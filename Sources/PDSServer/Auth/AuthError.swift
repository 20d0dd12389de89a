/// Why a credential was refused. Mapped to XRPC errors at the HTTP boundary (`XRPCError+mapping.swift`).
package enum AuthError: Error, Equatable, Sendable {
    /// The token is malformed, forged or of the wrong kind (400 `InvalidToken`).
    case invalidToken(String)
    /// The token has expired (400 `ExpiredToken`).
    case expiredToken
    /// No or unusable credentials (401 `AuthenticationRequired`).
    case authRequired(String)
    /// No Authorization header where one is required (401 `AuthMissing`).
    case authMissing
    /// A service-auth JWT was refused (401 with the reference's name: `BadJwt`, `JwtExpired`, `BadJwtAudience`,
    /// `BadJwtLexiconMethod`, `BadJwtSignature`, `BadJwtType`).
    case serviceAuth(name: String, message: String)
}
