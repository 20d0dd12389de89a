import Synchronization

/// The limits of one request that its handler counts, because their key is only known once the request is
/// authenticated or its input read: the account's DID (repo writes, `updateHandle`, the email requests) or the login
/// identifier with the client IP (`createSession`).
///
/// The ``RateLimitMiddleware`` puts one in ``PDSRequestContext/rateLimit`` for such methods; the handler calls
/// ``consume(subject:points:)`` before the work the limit protects, and the middleware then answers with the headers
/// of the most restrictive limit counted for the request.
package final class RateLimitScope: Sendable {
    /// The method's limits keyed by DID or identifier.
    let rules: [RateLimits.Rule]
    /// The client IP (part of an `identifier-ip` key).
    let clientIP: String?
    private let tightest: Mutex<RateLimitStatus?>

    /// A scope for one request.
    /// - Parameters:
    ///   - rules: the method's limits that the handler counts.
    ///   - clientIP: the client IP.
    ///   - edge: what the middleware counted already (global and per-IP limits).
    init(rules: [RateLimits.Rule], clientIP: String?, edge: RateLimitStatus?) {
        self.rules = rules
        self.clientIP = clientIP
        self.tightest = Mutex(edge)
    }

    /// The most restrictive status counted for the request so far.
    package var status: RateLimitStatus? { tightest.withLock { $0 } }

    /// Counts the method's limits for `subject`.
    /// - Parameters:
    ///   - subject: the DID (for limits by DID) or the login identifier (for limits by `identifier-ip`).
    ///   - points: the request's cost (1, or a write's points); nothing is counted below 1, as in the reference.
    /// - Throws: `RateLimitExceeded` (429) when a limit is exceeded; the points are counted regardless.
    package func consume(subject: String, points: Int = 1) throws {
        guard points >= 1 else { return }
        var exceeded = false
        for rule in rules {
            let key = rule.key == .identifierAndIP ? "\(subject)-\(clientIP ?? "")" : subject
            let status = rule.limiter.consume(key, points: points)
            exceeded = exceeded || status.isExceeded
            tightest.withLock { $0 = RateLimitStatus.tightest($0, status) }
        }
        if exceeded { throw XRPCError.rateLimitExceeded }
    }
}
