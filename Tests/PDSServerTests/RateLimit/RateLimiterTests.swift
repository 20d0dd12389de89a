import Foundation
import HTTPTypes
import PDSTestSupport
import Testing

@testable import PDSServer

/// The counters of one limit: fixed windows per key, bounded memory.
@Suite struct RateLimiterTests {
    @Test func tripsAtItsNumberAndCountsPastIt() {
        let clock = TestWallClock()
        let limiter = RateLimiter(RateLimit("test", points: 30, seconds: 300), now: clock.function)
        for n in 1...30 {
            let status = limiter.consume("1.2.3.4")
            #expect(!status.isExceeded)
            #expect(status.remaining == 30 - n)
        }
        let refused = limiter.consume("1.2.3.4")
        #expect(refused.isExceeded)
        #expect(refused.remaining == 0)
        #expect(limiter.consume("1.2.3.4").consumed == 32)
        #expect(limiter.consume("5.6.7.8").remaining == 29, "another key has its own window")
    }

    @Test func windowStartsAtFirstRequestAndResetsWhenItEnds() {
        let clock = TestWallClock()
        let start = clock.now
        let limiter = RateLimiter(RateLimit("test", points: 2, seconds: 300), now: clock.function)
        #expect(limiter.consume("k").resetAt == start.addingTimeInterval(300))
        clock.advance(by: 100)
        _ = limiter.consume("k")
        #expect(limiter.consume("k").isExceeded)
        clock.advance(by: 199)
        let stillRefused = limiter.consume("k")
        #expect(stillRefused.isExceeded)
        #expect(stillRefused.resetAt == start.addingTimeInterval(300))
        clock.advance(by: 1)
        let fresh = limiter.consume("k")
        #expect(!fresh.isExceeded)
        #expect(fresh.consumed == 1)
        #expect(fresh.resetAt == clock.now.addingTimeInterval(300))
    }

    @Test func pointsAreSpentTogether() {
        let limiter = RateLimiter(RateLimit("repo-write-hour", points: 5000, seconds: 3600), now: TestWallClock().function)
        #expect(limiter.consume("did:plc:a", points: 4998).remaining == 2)
        #expect(!limiter.consume("did:plc:a", points: 2).isExceeded)
        #expect(limiter.consume("did:plc:a", points: 1).isExceeded)
    }

    @Test func expiredWindowsAreDropped() {
        let clock = TestWallClock()
        let limiter = RateLimiter(RateLimit("test", points: 5, seconds: 60), now: clock.function)
        for n in 0..<100 { _ = limiter.consume("key-\(n)") }
        #expect(limiter.trackedKeys == 100)
        clock.advance(by: 61)
        _ = limiter.consume("late")
        #expect(limiter.trackedKeys == 1)
    }

    @Test func keyCountIsBoundedByEvictingTheOldest() {
        let clock = TestWallClock()
        let limiter = RateLimiter(RateLimit("test", points: 1, seconds: 300), maxKeys: 3, now: clock.function)
        for n in 0..<3 {
            _ = limiter.consume("key-\(n)")
            clock.advance(by: 1)
        }
        #expect(limiter.consume("key-0").isExceeded)
        for n in 3..<1000 { _ = limiter.consume("key-\(n)") }
        #expect(limiter.trackedKeys == 3)
        // key-0 was forgotten to make room: it starts afresh; the newest keys are still counted.
        #expect(!limiter.consume("key-0").isExceeded)
        #expect(limiter.consume("key-999").isExceeded)
    }

    @Test func longKeysAreStoredHashedAndStillDistinct() {
        let limiter = RateLimiter(RateLimit("test", points: 1, seconds: 300), now: TestWallClock().function)
        let long = String(repeating: "a", count: 100_000)
        #expect(!limiter.consume(long + "-1.2.3.4").isExceeded)
        #expect(limiter.consume(long + "-1.2.3.4").isExceeded)
        #expect(!limiter.consume(long + "-5.6.7.8").isExceeded)
    }

    @Test func tightestPrefersExceededThenFewestLeft() {
        let reset = Date(timeIntervalSince1970: 0)
        let roomy = RateLimitStatus(limit: RateLimit("a", points: 100, seconds: 60), consumed: 10, resetAt: reset)
        let tight = RateLimitStatus(limit: RateLimit("b", points: 30, seconds: 60), consumed: 29, resetAt: reset)
        let over = RateLimitStatus(limit: RateLimit("c", points: 3000, seconds: 60), consumed: 3001, resetAt: reset)
        #expect(RateLimitStatus.tightest(roomy, tight) == tight)
        #expect(RateLimitStatus.tightest(tight, roomy) == tight)
        #expect(RateLimitStatus.tightest(tight, over) == over)
        #expect(RateLimitStatus.tightest(nil, roomy) == roomy)
    }

    @Test func headersAreTheReferences() {
        let clock = TestWallClock(Date(timeIntervalSince1970: 1_750_000_000.5))
        let limiter = RateLimiter(RateLimit("test", points: 1, seconds: 300), now: clock.function)
        let allowed = limiter.consume("k").headerFields(now: clock.now)
        #expect(allowed[.rateLimitLimit] == "1")
        #expect(allowed[.rateLimitRemaining] == "0")
        #expect(allowed[.rateLimitReset] == "1750000300")
        #expect(allowed[.rateLimitPolicy] == "1;w=300")
        #expect(allowed[.retryAfter] == nil)
        clock.advance(by: 100)
        let refused = limiter.consume("k").headerFields(now: clock.now)
        #expect(refused[.retryAfter] == "200")
        #expect(refused[.accessControlExposeHeaders]?.contains("Retry-After") == true)
    }

    /// The policy table is the reference's (`packages/pds/src/api/**`, `src/rate-limits.ts`).
    @Test func tableIsTheReferences() {
        func limits(_ nsid: String) -> [String] {
            (RateLimits.methodLimits[nsid] ?? []).map { "\($0.0.points)/\($0.0.seconds)s by \($0.1)" }
        }
        #expect(RateLimits.globalIP.points == 3000 && RateLimits.globalIP.seconds == 300)
        #expect(RateLimits.globalExempt == ["com.atproto.sync.getRepo"])
        #expect(limits("com.atproto.server.createAccount") == ["100/300s by ip"])
        #expect(limits("com.atproto.server.createSession") == ["300/86400s by identifierAndIP", "30/300s by identifierAndIP"])
        #expect(limits("com.atproto.server.deleteAccount") == ["50/300s by ip"])
        for nsid in ["requestAccountDelete", "requestEmailConfirmation", "requestEmailUpdate"] {
            #expect(limits("com.atproto.server." + nsid) == ["15/86400s by did", "5/3600s by did"])
        }
        #expect(limits("com.atproto.server.requestPasswordReset") == ["50/86400s by ip", "15/3600s by ip"])
        #expect(limits("com.atproto.server.resetPassword") == ["50/300s by ip"])
        #expect(limits("com.atproto.identity.updateHandle") == ["10/300s by did", "50/86400s by did"])
        #expect(limits("com.atproto.repo.uploadBlob") == ["1000/86400s by ip"])
        #expect(limits("com.atproto.sync.getRepo") == ["6000/300s by ip"])
        for nsid in ["createRecord", "putRecord", "deleteRecord", "applyWrites"] {
            #expect(limits("com.atproto.repo." + nsid) == ["5000/3600s by did", "35000/86400s by did"])
        }
        #expect(RateLimits.methodLimits.count == 15)
        let limits = RateLimits(configuration: .init(enabled: true, bypassIPs: []), trustedProxies: [], now: Date.init)
        let writes = ["createRecord", "putRecord", "deleteRecord", "applyWrites"].map { limits.routes["com.atproto.repo." + $0]! }
        #expect(writes.allSatisfy { $0[0].limiter === writes[0][0].limiter && $0[1].limiter === writes[0][1].limiter })
    }
}
