import Hummingbird
import Identity

/// Counts password attempts on the authorization and account pages against `createSession`'s limits (by login
/// identifier and client IP, 30 per 5 minutes and 300 per day), so that the pages are no cheaper a way to guess
/// passwords than the XRPC login. Nothing is counted when rate limits are off or the request bypasses them.
struct SignInLimiter: Sendable {
    /// The rate limits, `nil` when `PDS_RATE_LIMITS_ENABLED` is off.
    let limits: RateLimits?

    /// Counts one attempt for `identifier`; `false` when a limit is exceeded.
    func allows(_ request: Request, peer: String?, identifier: String) -> Bool {
        guard let limits else { return true }
        let clientIP = limits.clientIP(peer: peer, forwardedFor: request.headers[values: .xForwardedFor])
        if limits.bypasses(clientIP: clientIP, bypassHeader: request.headers[.rateLimitBypass]) { return true }
        guard
            let scope = limits.scope(
                nsid: "com.atproto.server.createSession", clientIP: clientIP?.description, edge: nil)
        else { return true }
        do {
            try scope.consume(subject: ComAtprotoServer.normalizedIdentifier(identifier))
            return true
        } catch {
            return false
        }
    }
}
