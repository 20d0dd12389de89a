import Hummingbird

/// Registers the authorization server: its endpoints, authorization pages and account pages (`buildRouter` adds the
/// ``DPoPNonceMiddleware``).
enum OAuthServer {
    /// - Parameters:
    ///   - router: the HTTP router.
    ///   - services: the server's services (the OAuth provider, DPoP verifier, account database, configuration).
    static func register(on router: Router<PDSRequestContext>, services: PDSServices) {
        let publicURL = services.configuration.service.publicURL
        let browsers = BrowserSessions(serviceDB: services.serviceDB, publicURL: publicURL, now: services.now)
        let limiter = SignInLimiter(limits: services.rateLimits)
        OAuthRoutes(provider: services.oauthProvider, dpop: services.dpop, publicURL: publicURL).register(on: router)
        OAuthAuthorizePages(
            provider: services.oauthProvider, browsers: browsers, serviceDB: services.serviceDB,
            serviceName: services.configuration.service.name, limiter: limiter
        ).register(on: router)
        AccountPages(
            provider: services.oauthProvider, browsers: browsers, serviceDB: services.serviceDB,
            serviceName: services.configuration.service.name, limiter: limiter
        ).register(on: router)
    }
}
