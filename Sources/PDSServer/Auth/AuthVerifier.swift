import ActorStore
import ATCore
import ATCrypto
import Crypto
import Foundation
import Hummingbird
import Identity
import ServiceDB

/// Authenticates requests the way the reference's `AuthVerifier` does, for the verifier kinds this server uses:
/// access tokens (standard / privileged / full, optionally taken-down), refresh tokens, admin Basic auth and
/// service-auth JWTs.
///
/// Failures are thrown as ``AuthError`` (mapped in `XRPCError+mapping.swift`) or as an `XRPCError` when the
/// reference uses a specific name (`AccountTakedown`, `AccountDeactivated`, `AccountNotFound`).
package struct AuthVerifier: Sendable {
    /// A verified access token with its account.
    package struct AccessOutput: Sendable {
        /// The caller.
        package var did: DID
        /// The token's scope.
        package var scope: SessionTokens.Scope
        /// The caller's account, if it still exists.
        package var account: AccountRecord?
        /// What an OAuth token grants; `nil` for legacy session tokens (which hold their full scope).
        package var permissions: OAuthPermissions? = nil
    }

    /// A verified service-auth JWT.
    package struct ServiceAuthOutput: Sendable {
        /// The issuer DID (without a `#fragment`).
        package var iss: DID
        /// The audience.
        package var aud: String
    }

    /// The `Authorization` header, parsed.
    enum Credentials {
        case bearer(String)
        case basic(String)
        case dpop(String)
    }

    let tokens: SessionTokens
    let serviceDB: ServiceDB
    let adminPassword: String
    let serviceDID: String
    let keyResolver: DIDDocumentSource
    /// `PDS_MOD_SERVICE_DID`: the issuer whose service JWTs the moderator methods accept (none when `nil`).
    let modServiceDID: String?
    /// OAuth access tokens (`Authorization: DPoP`); `nil` when this server issues none.
    package var oauth: OAuthResource?

    /// Creates a verifier.
    /// - Parameters:
    ///   - modServiceDID: the moderation service trusted by ``moderator(_:lxm:)``, if any.
    package init(
        tokens: SessionTokens, serviceDB: ServiceDB, adminPassword: String, serviceDID: String,
        keyResolver: DIDDocumentSource, modServiceDID: String? = nil
    ) {
        self.tokens = tokens
        self.serviceDB = serviceDB
        self.adminPassword = adminPassword
        self.serviceDID = serviceDID
        self.keyResolver = keyResolver
        self.modServiceDID = modServiceDID
    }

    // MARK: - Header parsing

    /// The credentials in `Authorization`, or `nil` when there is none.
    /// - Throws: `AuthError.invalidToken` for a malformed header or an unknown scheme.
    static func credentials(_ request: Request) throws(AuthError) -> Credentials? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else { throw .invalidToken("Malformed authorization header") }
        switch parts[0].lowercased() {
        case "bearer": return .bearer(String(parts[1]))
        case "basic": return .basic(String(parts[1]))
        case "dpop": return .dpop(String(parts[1]))
        default: throw .invalidToken("Unexpected authorization type")
        }
    }

    // MARK: - Access tokens

    /// Verifies a Bearer access token.
    /// - Parameters:
    ///   - request: the request.
    ///   - scopes: accepted scopes (`SessionTokens.Scope.standard`, `.privileged` or `.full`).
    ///   - allowTakendown: also accept `com.atproto.takendown` tokens (the "+TD" endpoints).
    ///   - checkTakedown: refuse taken-down accounts (401 `AccountTakedown`).
    ///   - checkDeactivated: refuse deactivated accounts (401 `AccountDeactivated`).
    ///   - oauth: what an OAuth token must grant (by default OAuth is refused, 403).
    package func access(
        _ request: Request, scopes: Set<SessionTokens.Scope>, allowTakendown: Bool = false,
        checkTakedown: Bool = false, checkDeactivated: Bool = false, oauth rule: OAuthRule = .forbidden
    ) async throws -> AccessOutput {
        var allowed = scopes
        if allowTakendown && !checkTakedown { allowed.insert(.takendown) }
        let verified: SessionTokens.Access
        var permissions: OAuthPermissions?
        switch try Self.credentials(request) {
        case nil: throw AuthError.authMissing
        case .bearer(let token): verified = try tokens.verifyAccessToken(token, allowed: allowed)
        case .dpop(let token):
            guard let oauth else { throw AuthError.invalidToken("OAuth access tokens are not accepted by this server") }
            let resource = try await oauth.verify(request, token: token)
            try rule.check(resource.permissions, appView: oauth.appViewAudience)
            verified = SessionTokens.Access(did: resource.did, scope: .access)
            permissions = resource.permissions
        case .basic: throw AuthError.invalidToken("Unexpected authorization type")
        }
        let account = try await serviceDB.account(did: verified.did)
        if checkTakedown || checkDeactivated {
            guard let account else {
                throw XRPCError(status: .forbidden, name: XRPCErrorName.accountNotFound, message: "Account not found")
            }
            if checkTakedown && account.takedownRef != nil {
                throw XRPCError.authRequired("Account has been taken down", name: XRPCErrorName.accountTakedown)
            }
            if checkDeactivated && account.deactivatedAt != nil {
                throw XRPCError.authRequired("Account is deactivated", name: XRPCErrorName.accountDeactivated)
            }
        }
        return AccessOutput(did: verified.did, scope: verified.scope, account: account, permissions: permissions)
    }

    // MARK: - Refresh tokens

    /// Verifies a Bearer refresh token.
    /// - Parameters:
    ///   - allowExpired: accept expired tokens (deleteSession).
    package func refresh(_ request: Request, allowExpired: Bool = false) throws(AuthError) -> SessionTokens.Refresh {
        switch try Self.credentials(request) {
        case nil: throw .authMissing
        case .bearer(let token): return try tokens.verifyRefreshToken(token, allowExpired: allowExpired)
        case .basic, .dpop: throw .invalidToken("Unexpected authorization type")
        }
    }

    // MARK: - Admin

    /// Checks HTTP Basic `admin:<PDS_ADMIN_PASSWORD>` (compared in constant time).
    package func admin(_ request: Request) throws(AuthError) {
        guard case .basic(let encoded) = try Self.credentials(request) else { throw .authRequired("Unexpected authorization type") }
        guard let decoded = try? Base64.decode(encoded), let text = String(bytes: decoded, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { throw .authRequired("Invalid authorization header") }
        let username = text[..<colon]
        let password = text[text.index(after: colon)...]
        guard username == "admin", Self.constantTimeEqual(Array(password.utf8), Array(adminPassword.utf8)) else {
            throw .authRequired("Bad admin credentials")
        }
    }

    /// Whether a Basic header is present (for verifiers that accept either admin or user credentials).
    package static func hasBasicCredentials(_ request: Request) -> Bool {
        if case .basic = try? credentials(request) { return true }
        return false
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let key = SymmetricKey(size: .bits256)
        return HMAC<SHA256>.authenticationCode(for: a, using: key) == HMAC<SHA256>.authenticationCode(for: b, using: key)
    }

    // MARK: - Service auth

    /// Verifies a service-auth JWT (`userServiceAuth`): signed by the issuer's `#atproto` key (ES256K or ES256),
    /// `aud` = this service, `lxm` = the called method, not expired.
    /// - Parameters:
    ///   - request: the request.
    ///   - lxm: the NSID being called.
    /// - Returns: `nil` when there is no Authorization header.
    package func serviceAuth(_ request: Request, lxm: String, now: Date = Date()) async throws -> ServiceAuthOutput? {
        switch try Self.credentials(request) {
        case nil: return nil
        case .bearer(let token): return try await verifyServiceJWT(token, lxm: lxm, now: now)
        case .basic, .dpop: throw AuthError.invalidToken("Unexpected authorization type")
        }
    }

    /// Verifies a compact service-auth JWT. The key is the issuer's `#atproto` verification method, or
    /// `#atproto_label` for an issuer written `did#atproto_labeler` (a labeler), as the reference.
    /// - Parameters:
    ///   - token: the JWT.
    ///   - lxm: the called method, which the token's `lxm` must name.
    ///   - trustedIssuers: when given, the only accepted `iss` values (401 `UntrustedIss` otherwise).
    ///   - now: the time to check expiry against.
    package func verifyServiceJWT(
        _ token: String, lxm: String, trustedIssuers: Set<String>? = nil, now: Date = Date()
    ) async throws -> ServiceAuthOutput {
        let jwt = try JWT(compact: token)
        if let typ = jwt.header.typ, ["at+jwt", "refresh+jwt", "dpop+jwt"].contains(typ) {
            throw AuthError.serviceAuth(name: XRPCErrorName.badJwtType, message: "Invalid jwt type \"\(typ)\"")
        }
        if jwt.claims.isExpired(at: now) { throw AuthError.serviceAuth(name: XRPCErrorName.jwtExpired, message: "jwt expired") }
        guard jwt.claims.aud == serviceDID else {
            throw AuthError.serviceAuth(
                name: XRPCErrorName.badJwtAudience, message: "jwt audience does not match service did. got: \(jwt.claims.aud ?? "")")
        }
        guard jwt.claims.lxm == lxm else {
            throw AuthError.serviceAuth(
                name: XRPCErrorName.badJwtLexiconMethod,
                message: jwt.claims.lxm == nil ? "missing jwt lexicon method (\"lxm\")" : "bad jwt lexicon method (\"lxm\")")
        }
        guard let iss = jwt.claims.iss, let issuer = try? DID(iss.split(separator: "#").first ?? "") else {
            throw AuthError.serviceAuth(name: XRPCErrorName.badJwt, message: "jwt issuer must be a DID")
        }
        if let trustedIssuers, !trustedIssuers.contains(iss) {
            throw AuthError.serviceAuth(name: XRPCErrorName.untrustedIss, message: "Untrusted issuer")
        }
        let keyID = iss.hasSuffix("#atproto_labeler") ? "atproto_label" : "atproto"
        for forceRefresh in [false, true] {
            guard let document = try await keyResolver.document(issuer, forceRefresh: forceRefresh),
                let key = document.verifyingKey(fragment: keyID)
            else {
                throw AuthError.serviceAuth(name: XRPCErrorName.badJwt, message: "could not resolve the issuer's signing key")
            }
            if jwt.verify(key: key) { return ServiceAuthOutput(iss: issuer, aud: serviceDID) }
        }
        throw AuthError.serviceAuth(name: XRPCErrorName.badJwtSignature, message: "jwt signature does not match jwt issuer")
    }
}
