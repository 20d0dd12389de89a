import Foundation
import HTTPTypes
import PDSTestSupport
import Testing

@testable import PDSServer

/// The limits counted by client IP, over a real socket: the global one, the per-method ones, the bypasses and
/// `X-Forwarded-For`.
@Suite struct RateLimitIPTests {
    @Test func globalLimitTripsAt3000OnEveryXRPCRouteAndResets() async throws {
        let clock = TestWallClock()
        let start = Int(clock.now.timeIntervalSince1970)
        try await RateLimitTesting.withLiveServer(clock: clock) { _, xrpc in
            for n in 1...2999 {
                let reply = try await xrpc.call("com.atproto.server.describeServer")
                try #require(reply.status == .ok, "request \(n): \(reply.status)")
                if n == 2999 {
                    #expect(reply.headers[.rateLimitLimit] == "3000")
                    #expect(reply.headers[.rateLimitRemaining] == "1")
                    #expect(reply.headers[.rateLimitPolicy] == "3000;w=300")
                    #expect(reply.headers[.rateLimitReset] == String(start + 300))
                }
            }
            // The catch-all counts too: the 3000th request is still answered (401: the proxy wants a session), the
            // next ones are refused.
            let unserved = try await xrpc.call("com.example.notServed", json: [:])
            #expect(unserved.status == .unauthorized)
            #expect(unserved.headers[.rateLimitRemaining] == "0")
            RateLimitTesting.expectRefused(try await xrpc.call("com.atproto.server.describeServer"), policy: "3000;w=300")
            RateLimitTesting.expectRefused(try await xrpc.call("com.example.notServed", json: [:]), policy: "3000;w=300")
            let refused = try await xrpc.call("com.atproto.server.describeServer")
            #expect(refused.headers[.retryAfter] == "300")
            #expect(refused.headers[.rateLimitReset] == String(start + 300))

            // Exempt: `_health` (outside XRPC in the reference) and `sync.getRepo` (its own, larger limit).
            let health = try await xrpc.call("_health")
            #expect(health.status == .ok)
            #expect(health.headers[.rateLimitLimit] == nil)
            let getRepo = try await xrpc.call("com.atproto.sync.getRepo", query: "did=did:plc:unknown")
            #expect(getRepo.status != .tooManyRequests)
            #expect(getRepo.headers[.rateLimitPolicy] == "6000;w=300")

            clock.advance(by: 300)
            let again = try await xrpc.call("com.atproto.server.describeServer")
            #expect(again.status == .ok)
            #expect(again.headers[.rateLimitRemaining] == "2999")
        }
    }

    @Test(arguments: [
        ("com.atproto.server.createAccount", 100, "100;w=300"),
        ("com.atproto.server.deleteAccount", 50, "50;w=300"),
        ("com.atproto.server.resetPassword", 50, "50;w=300"),
        ("com.atproto.server.requestPasswordReset", 15, "15;w=3600"),
        ("com.atproto.repo.uploadBlob", 1000, "1000;w=86400"),
    ])
    func methodLimitTripsAtItsNumber(nsid: String, limit: Int, policy: String) async throws {
        try await RateLimitTesting.withLiveServer { _, xrpc in
            for n in 1...limit {
                let reply = try await xrpc.call(nsid, json: [:])
                try #require(reply.status != .tooManyRequests, "request \(n) of \(nsid)")
                if n == limit {
                    #expect(reply.headers[.rateLimitPolicy] == policy, "the tightest limit of \(nsid)")
                    #expect(reply.headers[.rateLimitRemaining] == "0")
                }
            }
            RateLimitTesting.expectRefused(try await xrpc.call(nsid, json: [:]), policy: policy)
            // Other methods are only under the global limit.
            let other = try await xrpc.call("com.atproto.server.describeServer")
            #expect(other.status == .ok)
            #expect(other.headers[.rateLimitPolicy] == "3000;w=300")
        }
    }

    @Test func getRepoTripsAt6000() async throws {
        try await RateLimitTesting.withLiveServer { _, xrpc in
            for n in 1...6000 {
                let reply = try await xrpc.call("com.atproto.sync.getRepo", query: "did=did:plc:unknown")
                try #require(reply.status != .tooManyRequests, "request \(n)")
            }
            RateLimitTesting.expectRefused(
                try await xrpc.call("com.atproto.sync.getRepo", query: "did=did:plc:unknown"), policy: "6000;w=300")
        }
    }

    @Test func bypassKeyIsNotCounted() async throws {
        try await RateLimitTesting.withLiveServer(["PDS_RATE_LIMIT_BYPASS_KEY": "let-me-in"]) { _, xrpc in
            for _ in 1...101 {
                let reply = try await xrpc.call(
                    "com.atproto.server.createAccount", headers: [.rateLimitBypass: "let-me-in"], json: [:])
                try #require(reply.status == .badRequest)
                #expect(reply.headers[.rateLimitLimit] == nil)
            }
            let wrongKey = try await xrpc.call(
                "com.atproto.server.createAccount", headers: [.rateLimitBypass: "let-me-in?"], json: [:])
            #expect(wrongKey.headers[.rateLimitRemaining] == "99")
        }
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.0/8"])
    func bypassIPsAreNotCounted(bypass: String) async throws {
        try await RateLimitTesting.withLiveServer(["PDS_RATE_LIMIT_BYPASS_IPS": "192.0.2.1, \(bypass)"]) { _, xrpc in
            for _ in 1...101 {
                let reply = try await xrpc.call("com.atproto.server.createAccount", json: [:])
                try #require(reply.status == .badRequest)
                #expect(reply.headers[.rateLimitLimit] == nil)
            }
        }
    }

    @Test func forwardedForFromATrustedProxyNamesTheClient() async throws {
        try await RateLimitTesting.withLiveServer { _, xrpc in
            func createAccount(from client: String?) async throws -> XRPCReply {
                try await xrpc.call(
                    "com.atproto.server.createAccount", headers: client.map { [.xForwardedFor: $0] } ?? [:], json: [:])
            }
            for _ in 1...100 { try #require(try await createAccount(from: "203.0.113.7").status == .badRequest) }
            RateLimitTesting.expectRefused(try await createAccount(from: "203.0.113.7"), policy: "100;w=300")
            RateLimitTesting.expectRefused(try await createAccount(from: "198.51.100.1, 203.0.113.7"), policy: "100;w=300")
            let other = try await createAccount(from: "203.0.113.8")
            #expect(other.status == .badRequest)
            #expect(other.headers[.rateLimitRemaining] == "99")
            let proxyItself = try await createAccount(from: nil)
            #expect(proxyItself.headers[.rateLimitRemaining] == "99")
        }
    }

    @Test func forwardedForFromAnUntrustedPeerIsIgnored() async throws {
        try await RateLimitTesting.withLiveServer(["PDS_TRUSTED_PROXIES": "none"]) { _, xrpc in
            for n in 1...100 {
                let reply = try await xrpc.call(
                    "com.atproto.server.createAccount", headers: [.xForwardedFor: "203.0.113.\(n)"], json: [:])
                try #require(reply.status == .badRequest)
            }
            RateLimitTesting.expectRefused(
                try await xrpc.call(
                    "com.atproto.server.createAccount", headers: [.xForwardedFor: "198.51.100.200"], json: [:]),
                policy: "100;w=300")
        }
    }
}
