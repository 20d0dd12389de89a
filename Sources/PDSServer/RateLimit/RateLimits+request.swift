import Foundation
import Identity

extension RateLimits {
    /// The client's IP, as Express's `req.ip` finds it: the connection's peer, unless the peer is a trusted proxy
    /// (`PDS_TRUSTED_PROXIES`), in which case `X-Forwarded-For` is walked from its right end (the hop the proxy
    /// appended) past every trusted proxy; the first untrusted hop is the client. An entry that is not an IP address
    /// stops the walk at the hop that sent it.
    /// - Parameters:
    ///   - peer: the connection's peer address (`nil` without a socket).
    ///   - forwardedFor: the `X-Forwarded-For` header lines, in order.
    /// - Returns: the client IP (IPv4-mapped IPv6 addresses as IPv4), or `nil` without a peer.
    package func clientIP(peer: String?, forwardedFor: [String]) -> IPAddress? {
        guard let peer, var client = IPAddress(peer).map(IPRange.unmapped) else { return nil }
        guard !forwardedFor.isEmpty, trustedProxies.contains(client) else { return client }
        var hops = forwardedFor.flatMap { $0.split(separator: ",") }
        while trustedProxies.contains(client), let hop = hops.popLast() {
            guard let address = IPAddress(hop.trimmingCharacters(in: .whitespaces)).map(IPRange.unmapped) else {
                break
            }
            client = address
        }
        return client
    }

    /// Whether the request is exempt: its `x-ratelimit-bypass` header equals `PDS_RATE_LIMIT_BYPASS_KEY`, or its
    /// client IP is in `PDS_RATE_LIMIT_BYPASS_IPS`.
    /// - Parameters:
    ///   - clientIP: the client IP.
    ///   - bypassHeader: the `x-ratelimit-bypass` header.
    package func bypasses(clientIP: IPAddress?, bypassHeader: String?) -> Bool {
        if let bypassKey, let bypassHeader, AuthVerifier.constantTimeEqual(Array(bypassKey.utf8), Array(bypassHeader.utf8)) { return true }
        if let clientIP, bypassIPs.contains(clientIP) { return true }
        return false
    }

    /// Counts the limits keyed by the client IP for a request to `nsid`: the method's own ones, then the global one
    /// (unless the method is exempt). Without a client IP (no socket) nothing is counted, as the reference skips a
    /// limit whose key is undefined.
    /// - Parameters:
    ///   - nsid: the method (the path after `/xrpc/`).
    ///   - clientIP: the client IP.
    /// - Returns: the most restrictive status counted, if any.
    package func consumeByIP(nsid: String, clientIP: String?) -> RateLimitStatus? {
        guard let clientIP else { return nil }
        var tightest: RateLimitStatus?
        for rule in ipRules[nsid] ?? [] {
            tightest = .tightest(tightest, rule.limiter.consume(clientIP))
        }
        if !Self.globalExempt.contains(nsid) {
            tightest = .tightest(tightest, global.consume(clientIP))
        }
        return tightest
    }

    /// A scope for the limits the handler of `nsid` counts itself, or `nil` when it has none.
    /// - Parameters:
    ///   - nsid: the method.
    ///   - clientIP: the client IP.
    ///   - edge: what ``consumeByIP(nsid:clientIP:)`` counted.
    func scope(nsid: String, clientIP: String?, edge: RateLimitStatus?) -> RateLimitScope? {
        guard let rules = handlerRules[nsid] else { return nil }
        return RateLimitScope(rules: rules, clientIP: clientIP, edge: edge)
    }
}
