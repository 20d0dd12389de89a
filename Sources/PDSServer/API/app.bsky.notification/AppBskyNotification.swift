import ATCore
import Hummingbird

/// The `app.bsky.notification.*` methods this server answers itself rather than through the catch-all: the push
/// registrations, forwarded to the push service their body names (``PushForwarder``). The rest of the namespace is
/// proxied.
struct AppBskyNotification: Sendable {
    /// Verifies the caller's credentials.
    let auth: AuthVerifier
    /// Finds the push service and forwards the registration.
    let push: PushForwarder

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        let prefix = "/xrpc/app.bsky.notification."
        router.post("\(prefix)registerPush") { request, _ in
            try await forward(request, lxm: "app.bsky.notification.registerPush", scopes: Self.registerScopes)
        }
        router.post("\(prefix)unregisterPush") { request, _ in
            try await forward(
                request, lxm: "app.bsky.notification.unregisterPush", scopes: SessionTokens.Scope.standard)
        }
    }

    /// `registerPush` also accepts the session of an account whose sign-up is queued, as the reference.
    static let registerScopes = SessionTokens.Scope.standard.union([.signupQueued])

    /// `registerPush` / `unregisterPush` (access tokens, app passwords and OAuth): the body, checked against the
    /// method's lexicon, goes to the push service; the answer is empty. An OAuth token needs
    /// `rpc:<lxm>?aud=<serviceDid>#bsky_notif`, the service the body names, as the reference.
    func forward(_ request: Request, lxm: String, scopes: Set<SessionTokens.Scope>) async throws -> Response {
        let caller = try await auth.access(request, scopes: scopes, oauth: .allowed)
        let input = try await XRPCBody.lexValue(request)
        try XRPCBody.validate(input, input: lxm)
        if let serviceDid = input["serviceDid"]?.string {
            try caller.authorizeRPC(lxm: lxm, aud: "\(serviceDid)#bsky_notif")
        }
        try await push.forward(lxm, input: input, caller: caller.did)
        return AuthHeaders.empty()
    }
}
