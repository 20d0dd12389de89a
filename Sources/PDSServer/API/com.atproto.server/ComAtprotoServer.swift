import Hummingbird

/// The `com.atproto.server.*` methods.
struct ComAtprotoServer: Sendable {
    let services: PDSServices

    var configuration: PDSConfiguration { services.configuration }
    var auth: AuthVerifier { services.authVerifier }

    /// Registers this namespace's methods on the router.
    func register(on router: Router<some RequestContext>) {
        let prefix = "/xrpc/com.atproto.server."
        router.get("\(prefix)describeServer") { _, _ in describeServer() }
        router.post("\(prefix)createAccount") { request, context in
            try await createAccount(request, logger: context.logger)
        }
        router.post("\(prefix)createSession") { request, _ in try await createSession(request) }
        router.get("\(prefix)getSession") { request, _ in AuthHeaders.wrap(try await getSession(request)) }
        router.post("\(prefix)refreshSession") { request, _ in AuthHeaders.wrap(try await refreshSession(request)) }
        router.post("\(prefix)deleteSession") { request, _ in
            try await deleteSession(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)createAppPassword") { request, _ in
            AuthHeaders.wrap(try await createAppPassword(request))
        }
        router.get("\(prefix)listAppPasswords") { request, _ in AuthHeaders.wrap(try await listAppPasswords(request)) }
        router.post("\(prefix)revokeAppPassword") { request, _ in
            try await revokeAppPassword(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)createInviteCode") { request, _ in AuthHeaders.wrap(try await createInviteCode(request)) }
        router.post("\(prefix)createInviteCodes") { request, _ in
            AuthHeaders.wrap(try await createInviteCodes(request))
        }
        router.get("\(prefix)getAccountInviteCodes") { request, _ in
            AuthHeaders.wrap(try await getAccountInviteCodes(request))
        }
        router.get("\(prefix)checkAccountStatus") { request, _ in
            AuthHeaders.wrap(try await checkAccountStatus(request))
        }
        router.post("\(prefix)activateAccount") { request, _ in
            try await activateAccount(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)deactivateAccount") { request, _ in
            try await deactivateAccount(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)reserveSigningKey") { request, _ in try await reserveSigningKey(request) }
        router.get("\(prefix)getServiceAuth") { request, _ in AuthHeaders.wrap(try await getServiceAuth(request)) }
    }
}
