import Hummingbird
import Identity
import ServiceDB

/// The `com.atproto.identity.*` methods served locally.
struct ComAtprotoIdentity: Sendable {
    /// The handle domains served here (`PDS_SERVICE_HANDLE_DOMAINS`), whose handles come from the account database.
    let serviceHandleDomains: [String]
    /// Accounts (handles under the service domains).
    let serviceDB: ServiceDB
    /// Resolves other handles (DNS TXT and HTTPS well-known).
    let handleResolver: HandleResolver
    /// Request authentication.
    let auth: AuthVerifier
    /// Handle changes and PLC operations.
    let updater: IdentityUpdater
    /// The email-token flows (`requestPlcOperationSignature`).
    let emailFlows: AccountEmailFlows

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<PDSRequestContext>) {
        let prefix = "/xrpc/com.atproto.identity."
        router.get("\(prefix)resolveHandle") { request, _ in try await resolveHandle(request) }
        router.post("\(prefix)updateHandle") { request, context in
            try await updateHandle(request, logger: context.logger)
            return AuthHeaders.empty()
        }
        router.get("\(prefix)getRecommendedDidCredentials") { request, _ in
            AuthHeaders.wrap(try await getRecommendedDidCredentials(request))
        }
        router.post("\(prefix)requestPlcOperationSignature") { request, _ in
            try await requestPlcOperationSignature(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)signPlcOperation") { request, _ in
            AuthHeaders.wrap(try await signPlcOperation(request))
        }
        router.post("\(prefix)submitPlcOperation") { request, context in
            try await submitPlcOperation(request, logger: context.logger)
            return AuthHeaders.empty()
        }
    }
}
