import Foundation
import HTTPTypes
import Hummingbird

extension RateLimitStatus {
    /// The reference's headers for this status: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (the
    /// window's end in Unix seconds), `RateLimit-Policy` (`<points>;w=<seconds>`), exposed to browsers; when exceeded,
    /// also `Retry-After` (seconds until the reset, rounded up).
    /// - Parameters:
    ///   - now: the current time.
    package func headerFields(now: Date) -> HTTPFields {
        var fields: HTTPFields = [
            .rateLimitLimit: String(limit.points),
            .rateLimitReset: String(Int(resetAt.timeIntervalSince1970.rounded(.down))),
            .rateLimitRemaining: String(remaining),
            .rateLimitPolicy: "\(limit.points);w=\(limit.seconds)",
        ]
        var exposed = "RateLimit-Limit, RateLimit-Reset, RateLimit-Remaining, RateLimit-Policy"
        if isExceeded {
            fields[.retryAfter] = String(max(Int(resetAt.timeIntervalSince(now).rounded(.up)), 0))
            exposed += ", Retry-After"
        }
        fields[.accessControlExposeHeaders] = exposed
        return fields
    }
}

extension XRPCError {
    /// 429 `RateLimitExceeded`, with the reference's message.
    package static let rateLimitExceeded = XRPCError(
        status: .tooManyRequests, name: "RateLimitExceeded", message: "Rate Limit Exceeded")
}

extension HTTPField.Name {
    /// `RateLimit-Limit`.
    package static let rateLimitLimit = Self("RateLimit-Limit")!
    /// `RateLimit-Remaining`.
    package static let rateLimitRemaining = Self("RateLimit-Remaining")!
    /// `RateLimit-Reset`.
    package static let rateLimitReset = Self("RateLimit-Reset")!
    /// `RateLimit-Policy`.
    package static let rateLimitPolicy = Self("RateLimit-Policy")!
    /// `x-ratelimit-bypass`: the bypass key (`PDS_RATE_LIMIT_BYPASS_KEY`).
    package static let rateLimitBypass = Self("x-ratelimit-bypass")!
    /// `X-Forwarded-For`.
    package static let xForwardedFor = Self("X-Forwarded-For")!
}
