import Foundation
import HTTPTypes
import Hummingbird

/// The authorization server's JSON endpoints (reference §a.9): metadata, JWKS, PAR, token, revoke and introspect.
/// The pages are ``OAuthAuthorizePages`` and ``AccountPages``.
struct OAuthRoutes: Sendable {
    let provider: OAuthProvider
    let dpop: DPoPVerifier
    /// The public URL (issuer and resource).
    let publicURL: String

    func register(on router: Router<some RequestContext>) {
        router.get("/.well-known/oauth-protected-resource") { _, _ in try protectedResource() }
        router.get("/.well-known/oauth-authorization-server") { _, _ in try authorizationServer() }
        router.get("/oauth/jwks") { _, _ in
            try OAuthHTTP.json(["keys": [Any]()], headers: [.cacheControl: "max-age=300"])
        }
        for path in ["/oauth/par", "/oauth/token", "/oauth/revoke", "/oauth/introspect"] {
            router.on(RouterPath(path), method: .options) { _, _ in OAuthHTTP.preflight() }
        }
        router.post("/oauth/par") { request, _ in try await par(request) }
        router.post("/oauth/token") { request, _ in try await token(request) }
        router.post("/oauth/revoke") { request, _ in try await revoke(request) }
        router.post("/oauth/introspect") { request, _ in try await introspect(request) }
    }

    // MARK: - Metadata

    func protectedResource() throws -> Response {
        try OAuthHTTP.json(
            [
                "resource": publicURL, "authorization_servers": [publicURL], "bearer_methods_supported": ["header"],
                "scopes_supported": [String](), "resource_documentation": "https://atproto.com",
            ], headers: [.cacheControl: "max-age=300"])
    }

    func authorizationServer() throws -> Response {
        try OAuthHTTP.json(
            [
                "issuer": publicURL,
                "scopes_supported": [
                    OAuthPermissions.atproto, OAuthPermissions.transitionEmail, OAuthPermissions.transitionGeneric,
                    OAuthPermissions.transitionChat,
                ],
                "subject_types_supported": ["public"],
                "response_types_supported": ["code"],
                "response_modes_supported": OAuthRequestParameters.responseModes,
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "ui_locales_supported": ["en-US"],
                "display_values_supported": ["page", "popup", "touch"],
                "request_object_signing_alg_values_supported": ["none"],
                "authorization_response_iss_parameter_supported": true,
                "request_parameter_supported": false,
                "request_uri_parameter_supported": true,
                "require_request_uri_registration": true,
                "jwks_uri": publicURL + "/oauth/jwks",
                "authorization_endpoint": publicURL + "/oauth/authorize",
                "token_endpoint": publicURL + "/oauth/token",
                "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": OAuthJWKSet.algorithms,
                "revocation_endpoint": publicURL + "/oauth/revoke",
                "introspection_endpoint": publicURL + "/oauth/introspect",
                "pushed_authorization_request_endpoint": publicURL + "/oauth/par",
                "require_pushed_authorization_requests": true,
                "dpop_signing_alg_values_supported": ["ES256", "ES256K"],
                "client_id_metadata_document_supported": true,
                "prompt_values_supported": OAuthRequestParameters.prompts,
                "protected_resources": [publicURL],
            ], headers: [.cacheControl: "max-age=300"])
    }

    // MARK: - Endpoints

    /// The request's DPoP proof, verified, or `nil` when it has none and `required` is false.
    func verifiedProof(_ request: Request, required: Bool) throws(OAuthError) -> DPoPVerifier.Proof? {
        let values = request.headers[values: HTTPField.Name("DPoP")!]
        guard !values.isEmpty else {
            if required { throw .invalidDPoPProof("DPoP proof required") }
            return nil
        }
        guard values.count == 1 else { throw .invalidDPoPProof("Exactly one DPoP proof is allowed") }
        return try dpop.verify(
            proof: values[0], method: request.method.rawValue, url: publicURL + request.uri.path, accessToken: nil,
            now: provider.now())
    }

    /// The headers every token-endpoint answer carries: the next DPoP nonce.
    var nonceHeaders: HTTPFields { [HTTPField.Name("DPoP-Nonce")!: dpop.nonces.current] }

    func par(_ request: Request) async throws -> Response {
        let form = try await OAuthHTTP.form(request)
        let proof = try verifiedProof(request, required: false)
        let (uri, expiresIn) = try await provider.pushAuthorizationRequest(form: form, proof: proof)
        return try OAuthHTTP.json(
            ["request_uri": uri, "expires_in": expiresIn], status: .created, headers: nonceHeaders)
    }

    func token(_ request: Request) async throws -> Response {
        let form = try await OAuthHTTP.form(request)
        guard let proof = try verifiedProof(request, required: true) else {
            throw OAuthError.invalidDPoPProof("DPoP proof required")
        }
        let response: OAuthProvider.TokenResponse
        switch form["grant_type"] {
        case "authorization_code": response = try await provider.exchangeCode(form: form, proof: proof)
        case "refresh_token": response = try await provider.refresh(form: form, proof: proof)
        case nil: throw OAuthError.invalidRequest("grant_type is required")
        default:
            throw OAuthError(status: .badRequest, code: "unsupported_grant_type", description: "Unsupported grant_type")
        }
        return try OAuthHTTP.json(
            [
                "access_token": response.access_token, "token_type": response.token_type,
                "expires_in": response.expires_in, "refresh_token": response.refresh_token, "scope": response.scope,
                "sub": response.sub,
            ], headers: nonceHeaders)
    }

    func revoke(_ request: Request) async throws -> Response {
        let form = try await OAuthHTTP.form(request)
        guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
        try await provider.revoke(token: token, form: form)
        return try OAuthHTTP.json([String: String](), headers: nonceHeaders)
    }

    func introspect(_ request: Request) async throws -> Response {
        let form = try await OAuthHTTP.form(request)
        guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
        let answer = try await provider.introspect(token: token)
        // A public client may only introspect its own tokens.
        if let clientID = form["client_id"], let owner = answer["client_id"] as? String, owner != clientID {
            return try OAuthHTTP.json(["active": false], headers: nonceHeaders)
        }
        return try OAuthHTTP.json(answer as [String: Any], headers: nonceHeaders)
    }
}
