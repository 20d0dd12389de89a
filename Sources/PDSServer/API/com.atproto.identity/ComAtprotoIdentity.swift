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
    /// The email-token flows (`requestPlcOperationSignature`).
    let emailFlows: AccountEmailFlows

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        router.get("/xrpc/com.atproto.identity.resolveHandle") { request, _ in try await resolveHandle(request) }
        router.post("/xrpc/com.atproto.identity.requestPlcOperationSignature") { request, _ in
            try await requestPlcOperationSignature(request)
            return AuthHeaders.empty()
        }
    }
}
