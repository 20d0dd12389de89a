import ATCore
import Hummingbird
import ServiceDB

extension AuthVerifier {
    /// An access token, or a service JWT bound to the called method (the reference's
    /// `authorizationOrUserServiceAuth`): a Bearer token carrying an `lxm` claim is verified as service auth, any
    /// other as an access token.
    ///
    /// The service JWT's issuer must be an account hosted here; with `checkTakedown` it must not be taken down
    /// either (stricter than the reference, which checks takedowns for access tokens only).
    /// - Parameters:
    ///   - request: the request.
    ///   - lxm: the called method's NSID.
    ///   - scopes: the access-token scopes accepted.
    ///   - checkTakedown: refuse taken-down accounts (401 `AccountTakedown`).
    ///   - authorizeOAuth: checks an access token's OAuth permissions (legacy tokens pass any check).
    /// - Returns: the caller's DID.
    package func accessOrServiceAuth(
        _ request: Request, lxm: String, scopes: Set<SessionTokens.Scope>, checkTakedown: Bool,
        authorizeOAuth: (AccessOutput) throws -> Void = { _ in }
    ) async throws -> DID {
        guard case .bearer(let token)? = try Self.credentials(request), (try? JWT(compact: token))?.claims.lxm != nil
        else {
            let caller = try await access(request, scopes: scopes, checkTakedown: checkTakedown, oauth: .allowed)
            try authorizeOAuth(caller)
            return caller.did
        }
        let issuer = try await verifyServiceJWT(token, lxm: lxm).iss
        guard let account = try await serviceDB.account(did: issuer) else {
            throw XRPCError(status: .forbidden, name: XRPCErrorName.accountNotFound, message: "Account not found")
        }
        if checkTakedown && account.takedownRef != nil {
            throw XRPCError.authRequired("Account has been taken down", name: XRPCErrorName.accountTakedown)
        }
        return issuer
    }
}
