import ATCore
import ATCrypto
import ATRepo
import Foundation
import Synchronization
import TestFixtures

@testable import Sequencer

/// A sequencer over `directory/sequencer.sqlite`.
func makeSequencer(
    _ directory: URL, clock: TestWallClock? = nil, backfillLimit: Duration = .seconds(86_400),
    retention: Duration? = nil, pollInterval: ClosedRange<Duration> = .milliseconds(5) ... .milliseconds(20),
    maxConcurrentBackfills: Int = Sequencer.Configuration.defaultMaxConcurrentBackfills
) throws -> Sequencer {
    var now: @Sendable () -> Date = { Date() }
    if let clock { now = clock.function }
    var configuration = Sequencer.Configuration(
        databaseURL: directory.appendingPathComponent("sequencer.sqlite"),
        backfillLimit: backfillLimit, retention: retention, pollInterval: pollInterval, now: now)
    configuration.maxConcurrentBackfills = maxConcurrentBackfills
    return try Sequencer(configuration: configuration)
}

/// `did:plc:` DIDs numbered from 0.
func testDID(_ n: Int) -> DID {
    let suffix = String(n, radix: 32).padding(toLength: 6, withPad: "a", startingAt: 0)
    return try! DID("did:plc:seq\(suffix)aaaaaaaaaaaaaaa")
}

/// A small identity event for `n`.
func identityEvent(_ n: Int) -> SeqEvent {
    .identity(IdentityEvent(did: testDID(n), handle: try! Handle("user\(n).test")))
}

/// A fixed signing key.
let testKeypair = try! Secp256k1Keypair(privateKey: Array(repeating: 0x33, count: 32))

/// A record for `collection`.
func testRecord(_ text: String) -> LexValue {
    .map(["$type": .string("app.bsky.feed.post"), "text": .string(text), "createdAt": "2024-01-01T00:00:00.000Z"])
}

/// Drains `iterator` for `count` items.
func take(_ count: Int, from iterator: inout OutboxEvents.Iterator) async throws -> [OutboxItem] {
    var items: [OutboxItem] = []
    while items.count < count, let item = try await iterator.next() { items.append(item) }
    return items
}

/// Waits (polling) until `condition` holds, up to `timeout`; not a timing assertion, only a bound on hangs.
/// A liveness bound, not a performance claim: generous because parallel tests can starve the cooperative pool.
func eventually(timeout: Duration = .seconds(120), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
