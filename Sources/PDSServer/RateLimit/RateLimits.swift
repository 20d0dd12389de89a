import Foundation

/// The reference PDS's rate limits (`PDS_RATE_LIMITS_ENABLED`): the policy table, their counters, and who is exempt.
///
/// - A global limit of 3000 requests per 5 minutes per client IP on every `/xrpc/` route, the catch-all included
///   (`com.atproto.sync.getRepo` is exempt, and so is `/xrpc/_health`, which the reference serves outside XRPC).
/// - Per-method limits in addition, keyed by NSID (``routes``), so a method not served yet has its limit ready.
///   Limits keyed by the client IP are counted by the ``RateLimitMiddleware`` before the handler runs; limits keyed
///   by the authenticated DID or the login identifier are counted by the handler through its ``RateLimitScope`` once
///   it knows the key, before any work the limit protects (the reference counts them after auth and input parsing too).
/// - Repo writes share two buckets per DID (5000/hour, 35000/day), a create costing 3 points, an update 2 and a
///   delete 1.
///
/// Requests with `x-ratelimit-bypass: PDS_RATE_LIMIT_BYPASS_KEY`, or from an IP in `PDS_RATE_LIMIT_BYPASS_IPS`, are
/// not counted.
package final class RateLimits: Sendable {
    /// What a per-method limit is counted by.
    package enum Key: Sendable, Hashable {
        /// The client IP (counted by the middleware).
        case ip
        /// The authenticated account's DID (counted by the handler).
        case did
        /// The login identifier and the client IP, `identifier-ip` (counted by the handler).
        case identifierAndIP
    }

    /// One per-method limit: its counters and its key.
    package struct Rule: Sendable {
        /// The counters (shared with the other methods naming the same limit).
        package let limiter: RateLimiter
        /// What the limit is counted by.
        package let key: Key
    }

    /// The global per-IP counters.
    package let global: RateLimiter
    /// The per-method limits, by NSID.
    package let routes: [String: [Rule]]
    /// The per-method limits keyed by IP (counted by the middleware), by NSID.
    let ipRules: [String: [Rule]]
    /// The per-method limits keyed by DID or identifier (counted by the handler), by NSID.
    let handlerRules: [String: [Rule]]
    /// `PDS_RATE_LIMIT_BYPASS_KEY`.
    let bypassKey: String?
    /// `PDS_RATE_LIMIT_BYPASS_IPS`.
    let bypassIPs: [IPRange]
    /// `PDS_TRUSTED_PROXIES`.
    let trustedProxies: [IPRange]
    /// The wall clock (windows, `RateLimit-Reset`, `Retry-After`).
    let now: @Sendable () -> Date

    /// Builds the counters of every limit.
    /// - Parameters:
    ///   - configuration: the bypasses.
    ///   - trustedProxies: the peers whose `X-Forwarded-For` names the client (`PDS_TRUSTED_PROXIES`).
    ///   - maxKeys: the most keys tracked per limit.
    ///   - now: the wall clock.
    package init(
        configuration: PDSConfiguration.RateLimits, trustedProxies: [IPRange],
        maxKeys: Int = RateLimiter.defaultMaxKeys, now: @escaping @Sendable () -> Date
    ) {
        self.bypassKey = configuration.bypassKey
        self.bypassIPs = configuration.bypassIPs
        self.trustedProxies = trustedProxies
        self.now = now
        global = RateLimiter(Self.globalIP, maxKeys: maxKeys, now: now)
        var limiters: [String: RateLimiter] = [:]
        var routes: [String: [Rule]] = [:]
        for (nsid, limits) in Self.methodLimits {
            routes[nsid] = limits.map { limit, key in
                let limiter = limiters[limit.name] ?? RateLimiter(limit, maxKeys: maxKeys, now: now)
                limiters[limit.name] = limiter
                return Rule(limiter: limiter, key: key)
            }
        }
        self.routes = routes
        ipRules = routes.mapValues { $0.filter { $0.key == .ip } }.filter { !$0.value.isEmpty }
        handlerRules = routes.mapValues { $0.filter { $0.key != .ip } }.filter { !$0.value.isEmpty }
    }

    // MARK: - The reference's table

    /// `global-ip`: 3000 per 5 minutes per IP.
    package static let globalIP = RateLimit("global-ip", points: 3000, seconds: 5 * minute)
    /// `repo-write-hour`: 5000 points per hour per DID, shared by the record writes.
    package static let repoWriteHour = RateLimit("repo-write-hour", points: 5000, seconds: hour)
    /// `repo-write-day`: 35000 points per day per DID, shared by the record writes.
    package static let repoWriteDay = RateLimit("repo-write-day", points: 35000, seconds: day)
    /// The methods exempt from the global limit.
    package static let globalExempt: Set<String> = ["com.atproto.sync.getRepo"]

    /// A record write's cost in the repo-write buckets.
    package enum WritePoints {
        /// A create (`createRecord`, an `applyWrites#create`).
        package static let create = 3
        /// An update (`putRecord`, an `applyWrites#update`).
        package static let update = 2
        /// A delete (`deleteRecord`, an `applyWrites#delete`).
        package static let delete = 1
    }

    /// The per-method limits (in addition to the global one), as the reference declares them.
    package static let methodLimits: [String: [(RateLimit, Key)]] = {
        func own(_ nsid: String, _ limits: [(points: Int, seconds: Int)], _ key: Key) -> (String, [(RateLimit, Key)]) {
            let numbered = limits.enumerated().map { index, limit in
                (RateLimit("\(nsid)-\(index)", points: limit.points, seconds: limit.seconds), key)
            }
            return (nsid, numbered)
        }
        let server = "com.atproto.server."
        let repoWrites: [(RateLimit, Key)] = [(repoWriteHour, .did), (repoWriteDay, .did)]
        return Dictionary(uniqueKeysWithValues: [
            own(server + "createAccount", [(100, 5 * minute)], .ip),
            own(server + "createSession", [(300, day), (30, 5 * minute)], .identifierAndIP),
            own(server + "deleteAccount", [(50, 5 * minute)], .ip),
            own(server + "requestAccountDelete", [(15, day), (5, hour)], .did),
            own(server + "requestEmailConfirmation", [(15, day), (5, hour)], .did),
            own(server + "requestEmailUpdate", [(15, day), (5, hour)], .did),
            own(server + "requestPasswordReset", [(50, day), (15, hour)], .ip),
            own(server + "resetPassword", [(50, 5 * minute)], .ip),
            own("com.atproto.identity.updateHandle", [(10, 5 * minute), (50, day)], .did),
            own("com.atproto.repo.uploadBlob", [(1000, day)], .ip),
            ("com.atproto.sync.getRepo", [(RateLimit("sync-get-repo-ip", points: 6000, seconds: 5 * minute), .ip)]),
            ("com.atproto.repo.createRecord", repoWrites),
            ("com.atproto.repo.putRecord", repoWrites),
            ("com.atproto.repo.deleteRecord", repoWrites),
            ("com.atproto.repo.applyWrites", repoWrites),
        ])
    }()

    private static let minute = 60
    private static let hour = 3600
    private static let day = 86400
}
