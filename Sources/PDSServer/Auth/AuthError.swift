/// Why a credential was refused. Mapped to XRPC errors at the HTTP boundary.
package enum AuthError: Error, Equatable, Sendable {
    /// The token is malformed, forged or of the wrong kind (400 `InvalidToken`).
    case invalidToken(String)
    /// The token has expired (400 `ExpiredToken`).
    case expiredToken
    /// No or unusable credentials (401 `AuthenticationRequired`).
    case authRequired(String)
}
