import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// Helpers of the rate-limit tests.
enum RateLimitTesting {
    /// Runs `body` against a fresh server over a real socket (`.live`: the peer is 127.0.0.1), with rate limits on and
    /// the given clock.
    static func withLiveServer(
        _ environment: [String: String] = [:], clock: TestWallClock = TestWallClock(),
        _ body: @escaping @Sendable (PDSServices, XRPCTestClient) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { dir in
            let env = ["PDS_RATE_LIMITS_ENABLED": "true"].merging(environment) { $1 }
            let services = try TestApplication.services(env, dataDirectory: dir, now: clock.function)
            try await TestApplication.make(services: services).test(.live) { client in
                try await body(services, XRPCTestClient(live: client))
            }
        }
    }

    /// Sends `count` requests, at most `width` at once; the replies in completion order.
    static func concurrently(
        _ count: Int, width: Int, _ send: @escaping @Sendable (Int) async throws -> XRPCReply
    ) async throws -> [XRPCReply] {
        try await withThrowingTaskGroup(of: XRPCReply.self) { group in
            var replies: [XRPCReply] = []
            for n in 0..<count {
                if n >= width, let reply = try await group.next() { replies.append(reply) }
                group.addTask { try await send(n) }
            }
            for try await reply in group { replies.append(reply) }
            return replies
        }
    }

    /// Checks a 429 reply: the XRPC body and the reference's headers for `policy`.
    static func expectRefused(
        _ reply: XRPCReply, policy: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(reply.status == .tooManyRequests, "\(reply.status): \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.error == "RateLimitExceeded", sourceLocation: sourceLocation)
        #expect(reply.json["message"] as? String == "Rate Limit Exceeded", sourceLocation: sourceLocation)
        #expect(reply.headers[.rateLimitPolicy] == policy, sourceLocation: sourceLocation)
        #expect(reply.headers[.rateLimitLimit] == policy.split(separator: ";").first.map(String.init))
        #expect(reply.headers[.rateLimitRemaining] == "0", sourceLocation: sourceLocation)
        #expect(reply.headers[.rateLimitReset] != nil, sourceLocation: sourceLocation)
        #expect(reply.headers[.retryAfter] != nil, sourceLocation: sourceLocation)
    }
}
