import HTTPTypes
import Hummingbird

/// Adds the current `DPoP-Nonce` to every answer to a DPoP request (XRPC methods called with an OAuth token, and
/// the OAuth endpoints), errors included, so that clients always hold a fresh nonce (RFC 9449 §8.2).
struct DPoPNonceMiddleware<Context: RequestContext>: RouterMiddleware {
    let nonces: DPoPNonces

    static var header: HTTPField.Name { HTTPField.Name("DPoP-Nonce")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let applies = request.headers[HTTPField.Name("DPoP")!] != nil || request.uri.path.hasPrefix("/oauth/")
        guard applies else { return try await next(request, context) }
        do {
            var response = try await next(request, context)
            if response.headers[Self.header] == nil { response.headers[Self.header] = nonces.current }
            return response
        } catch var error as XRPCError {
            error.headers[Self.header] = nonces.current
            error.headers[.accessControlExposeHeaders] = "DPoP-Nonce, WWW-Authenticate"
            throw error
        } catch let error as OAuthError {
            var response = try error.response(from: request, context: context)
            response.headers[Self.header] = nonces.current
            response.headers.append(contentsOf: OAuthHTTP.corsHeaders)
            return response
        }
    }
}

/// Registers the authorization server: its middleware, endpoints, authorization pages and account pages.
enum OAuthServer {
    /// - Parameters:
    ///   - router: the HTTP router.
    ///   - services: the server's services (the OAuth provider, DPoP verifier, account database, configuration).
    static func register(on router: Router<PDSRequestContext>, services: PDSServices) {
        let publicURL = services.configuration.service.publicURL
        let browsers = BrowserSessions(serviceDB: services.serviceDB, publicURL: publicURL, now: services.now)
        OAuthRoutes(provider: services.oauthProvider, dpop: services.dpop, publicURL: publicURL).register(on: router)
        OAuthAuthorizePages(
            provider: services.oauthProvider, browsers: browsers, serviceDB: services.serviceDB,
            serviceName: services.configuration.service.name
        ).register(on: router)
        AccountPages(
            provider: services.oauthProvider, browsers: browsers, serviceDB: services.serviceDB,
            serviceName: services.configuration.service.name
        ).register(on: router)
    }
}
