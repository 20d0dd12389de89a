import Foundation
import HTTPTypes
import PDSTestSupport
import Testing

@testable import PDSServer

/// The limits a handler counts by login identifier or by DID (`.router` transport: no peer, so no IP limits).
@Suite struct RateLimitAccountTests {
    static let environment = ["PDS_RATE_LIMITS_ENABLED": "true"]

    @Test func createSessionCountsEveryAttemptBeforeTheScryptCheck() async throws {
        let clock = TestWallClock()
        try await TestApplication.withAccount(Self.environment, now: clock.function) { _, services, xrpc, _ in
            let before = services.passwordVerifier.verifications
            let replies = try await RateLimitTesting.concurrently(300, width: 50) { _ in
                try await xrpc.call(
                    "com.atproto.server.createSession", json: ["identifier": "alice.test", "password": "wrong-guess"])
            }
            #expect(replies.filter { $0.status == .unauthorized }.count == 30)
            #expect(replies.filter { $0.status == .tooManyRequests }.count == 270)
            #expect(services.passwordVerifier.verifications - before == 30)
            for reply in replies where reply.status == .tooManyRequests {
                RateLimitTesting.expectRefused(reply, policy: "30;w=300")
            }
            let failures = replies.filter { $0.status == .unauthorized }
            #expect(failures.allSatisfy { $0.headers[.rateLimitLimit] == "30" })
            #expect(Set(failures.compactMap { $0.headers[.rateLimitRemaining] }) == Set((0..<30).map(String.init)))

            // The right password is refused too, under any spelling of the identifier: attempts are counted, not
            // failures. Both limits are over now; the headers are the first declared one's (the day's), as in the
            // reference.
            let login = ["identifier": " ALICE.test", "password": "password-123"]
            RateLimitTesting.expectRefused(
                try await xrpc.call("com.atproto.server.createSession", json: login), policy: "300;w=86400")
            #expect(services.passwordVerifier.verifications - before == 30)

            // After 5 minutes the day's 300 attempts are spent; after a day, the login works.
            clock.advance(by: 300)
            RateLimitTesting.expectRefused(
                try await xrpc.call("com.atproto.server.createSession", json: login), policy: "300;w=86400")
            clock.advance(by: 86400)
            let fresh = try await xrpc.call("com.atproto.server.createSession", json: login)
            #expect(fresh.status == .ok, "\(fresh.text)")
            #expect(fresh.headers[.rateLimitPolicy] == "30;w=300")
            #expect(fresh.headers[.rateLimitRemaining] == "29")
        }
    }

    @Test func createSessionLimitIsPerIdentifier() async throws {
        try await TestApplication.withAccount(Self.environment) { _, _, xrpc, _ in
            _ = try await xrpc.createAccount(handle: "bob.test")
            _ = try await RateLimitTesting.concurrently(31, width: 31) { _ in
                try await xrpc.call(
                    "com.atproto.server.createSession", json: ["identifier": "alice.test", "password": "wrong"])
            }
            let bob = try await xrpc.call(
                "com.atproto.server.createSession", json: ["identifier": "bob.test", "password": "password-123"])
            #expect(bob.status == .ok)
            #expect(bob.headers[.rateLimitRemaining] == "29")
        }
    }

    @Test func bypassKeySkipsTheLoginLimit() async throws {
        let environment = Self.environment.merging(["PDS_RATE_LIMIT_BYPASS_KEY": "ops"]) { $1 }
        try await TestApplication.withAccount(environment) { _, services, xrpc, _ in
            let replies = try await RateLimitTesting.concurrently(31, width: 31) { _ in
                try await xrpc.call(
                    "com.atproto.server.createSession", headers: [.rateLimitBypass: "ops"],
                    json: ["identifier": "alice.test", "password": "wrong"])
            }
            #expect(replies.allSatisfy { $0.status == .unauthorized && $0.headers[.rateLimitLimit] == nil })
            #expect(services.passwordVerifier.verifications == 31)
        }
    }

    @Test func recordWritesSpendTheirPointsFromSharedBucketsPerDID() async throws {
        let clock = TestWallClock()
        try await TestApplication.withAccount(Self.environment, now: clock.function) { _, _, xrpc, alice in
            let created = try await xrpc.createRecord(alice, record: XRPCTestClient.post("one"))
            #expect(created.status == .ok)
            #expect(created.headers[.rateLimitPolicy] == "5000;w=3600")
            #expect(created.headers[.rateLimitRemaining] == "4997")
            let rkey = try created.decode(XRPCWriteOutput.self).rkey
            let record: [String: Any] = ["repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey]
            let put = try await xrpc.call(
                "com.atproto.repo.putRecord", token: alice.accessJwt,
                json: record.merging(["record": XRPCTestClient.post("two")]) { _, new in new })
            #expect(put.status == .ok, "\(put.text)")
            #expect(put.headers[.rateLimitRemaining] == "4995")
            let deleted = try await xrpc.call("com.atproto.repo.deleteRecord", token: alice.accessJwt, json: record)
            #expect(deleted.status == .ok, "\(deleted.text)")
            #expect(deleted.headers[.rateLimitRemaining] == "4994")
            let mixed = try await xrpc.call(
                "com.atproto.repo.applyWrites", token: alice.accessJwt,
                json: [
                    "repo": alice.did,
                    "writes": [
                        ["$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post",
                         "rkey": "a", "value": XRPCTestClient.post("a")],
                        ["$type": "com.atproto.repo.applyWrites#update", "collection": "app.bsky.feed.post",
                         "rkey": "a", "value": XRPCTestClient.post("b")],
                        ["$type": "com.atproto.repo.applyWrites#delete", "collection": "app.bsky.feed.post",
                         "rkey": "a"],
                    ],
                ])
            #expect(mixed.headers[.rateLimitRemaining] == "4988", "\(mixed.status): \(mixed.text)")
        }
    }

    @Test func repoWriteLimitsTripAtTheirNumbers() async throws {
        let clock = TestWallClock()
        try await TestApplication.withAccount(Self.environment, now: clock.function) { _, _, xrpc, alice in
            let bob = try await xrpc.createAccount(handle: "bob.test")
            // 200 creates (600 points) that fail validation after they are counted.
            let batch = (0..<200).map { _ in ["$type": "com.atproto.repo.applyWrites#create"] }
            func spend600() async throws -> XRPCReply {
                try await xrpc.call(
                    "com.atproto.repo.applyWrites", token: alice.accessJwt, json: ["repo": alice.did, "writes": batch])
            }
            var (hour, day) = (0, 0)
            var trippedHour = false
            while true {
                if hour + 600 > 5000 {
                    // The hour bucket trips at 5000: 5400 is refused, and so is a single create (3 more points).
                    if !trippedHour {
                        RateLimitTesting.expectRefused(try await spend600(), policy: "5000;w=3600")
                        RateLimitTesting.expectRefused(
                            try await xrpc.createRecord(alice, record: XRPCTestClient.post("x")), policy: "5000;w=3600")
                        day += 603
                        // Another account has its own buckets.
                        #expect(try await xrpc.createRecord(bob, record: XRPCTestClient.post("bob")).status == .ok)
                        trippedHour = true
                    }
                    clock.advance(by: 3600)
                    hour = 0
                }
                let reply = try await spend600()
                hour += 600
                day += 600
                if day > 35000 {
                    RateLimitTesting.expectRefused(reply, policy: "35000;w=86400")
                    break
                }
                #expect(reply.status == .badRequest, "\(reply.text)")
                #expect(reply.headers[.rateLimitRemaining] == String(min(5000 - hour, 35000 - day)))
            }
            clock.advance(by: 86400)
            #expect(try await xrpc.createRecord(alice, record: XRPCTestClient.post("tomorrow")).status == .ok)
        }
    }
}
