import ATCore
import Hummingbird

extension AuthVerifier {
    /// Who passed ``moderator(_:lxm:)``.
    package enum ModeratorCredentials: Sendable, Equatable {
        /// HTTP Basic with the admin password.
        case adminToken
        /// A service JWT from the moderation service (its `iss`, possibly `did#atproto_labeler`).
        case modService(DID)
    }

    /// The reference's `moderator` verifier: a Bearer token must be a service JWT from the moderation service
    /// (`modService`); anything else is checked as admin Basic auth (`adminToken`).
    ///
    /// The service JWT's `iss` must be `PDS_MOD_SERVICE_DID` or `PDS_MOD_SERVICE_DID#atproto_labeler` (signed with
    /// that DID's `#atproto` or `#atproto_label` key respectively), its `aud` this PDS's DID and its `lxm` the called
    /// method. Without a configured mod service every Bearer token is refused with 401 `UntrustedIss`.
    /// - Parameters:
    ///   - request: the request.
    ///   - lxm: the called method's NSID.
    /// - Throws: ``AuthError`` (401 `AuthenticationRequired`, `UntrustedIss`, `BadJwt…`; 400 `InvalidToken` for a
    ///   malformed header).
    @discardableResult
    package func moderator(_ request: Request, lxm: String) async throws -> ModeratorCredentials {
        guard case .bearer(let token)? = try Self.credentials(request) else {
            try admin(request)
            return .adminToken
        }
        guard let modServiceDID else {
            throw AuthError.serviceAuth(name: XRPCErrorName.untrustedIss, message: "Untrusted issuer")
        }
        let output = try await verifyServiceJWT(
            token, lxm: lxm, trustedIssuers: [modServiceDID, "\(modServiceDID)#atproto_labeler"])
        return .modService(output.iss)
    }
}
