import Hummingbird

/// The `com.atproto.temp.*` methods served locally (the others are proxied).
struct ComAtprotoTemp: Sendable {
    /// Request authentication.
    let auth: AuthVerifier

    /// Output of `com.atproto.temp.checkSignupQueue`.
    struct CheckSignupQueueOutput: ResponseEncodable {
        var activated: Bool
        var placeInQueue: Int?
        var estimatedTimeMs: Int?
    }

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        router.get("/xrpc/com.atproto.temp.checkSignupQueue") { request, _ in
            AuthHeaders.wrap(try await checkSignupQueue(request))
        }
    }

    /// `com.atproto.temp.checkSignupQueue` (STD and signup-queued tokens): without an entryway there is no queue, so
    /// the account is activated, as the reference answers.
    func checkSignupQueue(_ request: Request) async throws -> CheckSignupQueueOutput {
        _ = try await auth.access(request, scopes: SessionTokens.Scope.standard.union([.signupQueued]))
        return CheckSignupQueueOutput(activated: true)
    }
}
