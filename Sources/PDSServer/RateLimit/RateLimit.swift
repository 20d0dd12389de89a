import Foundation

/// One rate limit as the reference declares it: at most `points` per window of `seconds`, counted per key.
///
/// Two routes that name the same limit share its counters (the reference's shared limits, e.g. `repo-write-hour`).
package struct RateLimit: Sendable, Hashable {
    /// The name the counters are kept under, e.g. `global-ip` or `com.atproto.server.createSession-0`.
    package var name: String
    /// The points a key may spend per window.
    package var points: Int
    /// The window's length in seconds (the `w=` of `RateLimit-Policy`).
    package var seconds: Int

    /// A limit.
    /// - Parameters:
    ///   - name: the counters' name.
    ///   - points: the points per window.
    ///   - seconds: the window's length.
    package init(_ name: String, points: Int, seconds: Int) {
        self.name = name
        self.points = points
        self.seconds = seconds
    }
}

/// Where a key stands in its current window after a consumption.
package struct RateLimitStatus: Sendable, Equatable {
    /// The limit.
    package var limit: RateLimit
    /// The points spent in the window, this consumption included (it keeps growing past the limit).
    package var consumed: Int
    /// When the window ends and the key starts afresh.
    package var resetAt: Date

    /// The points left in the window (never negative).
    package var remaining: Int { max(limit.points - consumed, 0) }

    /// Whether this consumption went over the limit (the request is refused).
    package var isExceeded: Bool { consumed > limit.points }

    /// The most restrictive of two statuses, as the reference picks for its headers: an exceeded one, else the one
    /// with the fewest points left.
    /// - Parameters:
    ///   - a: a status.
    ///   - b: another status.
    package static func tightest(_ a: RateLimitStatus?, _ b: RateLimitStatus?) -> RateLimitStatus? {
        guard let a else { return b }
        guard let b else { return a }
        if a.isExceeded { return a }
        if b.isExceeded { return b }
        return b.remaining < a.remaining ? b : a
    }
}
