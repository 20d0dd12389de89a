import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PDSTestSupport
import Sequencer
import Synchronization
import Testing

@testable import PDSServer

/// `PDS_CRAWLERS`: relays (real local HTTP servers here) get `requestCrawl {hostname}` after new events, at most once
/// per interval.
@Suite struct CrawlersTests {
    /// A relay stand-in that records the `requestCrawl` bodies it receives.
    final class Relay: Sendable {
        let bodies = Mutex<[String]>([])
        var received: [String] { bodies.withLock { $0 } }

        func application() -> some ApplicationProtocol {
            let router = Router()
            router.post("/xrpc/com.atproto.sync.requestCrawl") { request, _ -> HTTPResponse.Status in
                guard request.headers[.contentType] == "application/json" else { return .unsupportedMediaType }
                let body = try await request.body.collect(upTo: 10_000)
                self.bodies.withLock { $0.append(String(buffer: body)) }
                return .ok
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "crawlers-test")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` with a fresh sequencer, two live relays and their base URLs.
    static func withRelays(_ body: @Sendable (Sequencer, [Relay], [String]) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try Sequencer(
                configuration: .init(databaseURL: dir.appendingPathComponent("sequencer.sqlite")),
                logger: Self.quietLogger)
            let relays = [Relay(), Relay()]
            try await relays[0].application().test(.live) { first in
                try await relays[1].application().test(.live) { second in
                    let urls = [first, second].map { "http://127.0.0.1:\($0.port!)" }
                    try await body(sequencer, relays, urls)
                }
            }
        }
    }

    @Test func theFirstEventRequestsOneCrawlPerRelayAndLaterOnesWithinTheWindowNone() async throws {
        try await Self.withRelays { sequencer, relays, urls in
            let crawlers = Crawlers(
                hostname: "pds.example.com", crawlers: urls, sequencer: sequencer, logger: Self.quietLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await crawlers.run() }
                // The service subscribes asynchronously: sequence until it has seen an event.
                try await eventually("the notifier to follow the sequencer") {
                    let seq = try await sequencer.sequenceIdentity(did: try DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"))
                    try await Task.sleep(for: .milliseconds(10))
                    return crawlers.newestEventSeen >= seq
                }
                try await eventually("one request per relay") {
                    relays.allSatisfy { $0.received.count == 1 }
                }
                var last: Int64 = 0
                for _ in 0..<5 {
                    last = try await sequencer.sequenceIdentity(did: try DID("did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"))
                }
                try await eventually("the notifier to see every event") {
                    crawlers.newestEventSeen == last
                }
                for relay in relays {
                    #expect(relay.received.count == 1)
                    let json = try JSONSerialization.jsonObject(with: Data((relay.received.first ?? "").utf8))
                    #expect(json as? [String: String] == ["hostname": "pds.example.com"])
                }
                group.cancelAll()
            }
        }
    }

    @Test func eventsSequencedBeforeStartRequestACrawlWhenTheServiceRuns() async throws {
        try await Self.withRelays { sequencer, relays, urls in
            let crawlers = Crawlers(
                hostname: "pds.example.com", crawlers: urls, sequencer: sequencer, logger: Self.quietLogger)
            // What `pds serve` does when the start-up reconcile emitted events: no live event follows here.
            try await sequencer.sequenceIdentity(did: try DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"))
            crawlers.noteEventsBeforeStart()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await crawlers.run() }
                try await eventually("one request per relay") {
                    relays.allSatisfy { $0.received.count == 1 }
                }
                group.cancelAll()
            }
            #expect(relays.map(\.received.count) == [1, 1])
        }
    }

    @Test func anotherRoundOnceTheIntervalHasPassedAndFailuresAreOnlyLogged() async throws {
        try await Self.withRelays { sequencer, relays, urls in
            // Port 1 on loopback refuses connections (the HTTP client retries until the request deadline): that
            // relay's failure must not affect the others.
            let crawlers = Crawlers(
                hostname: "pds.example.com", crawlers: urls + ["http://127.0.0.1:1"], sequencer: sequencer,
                interval: .milliseconds(50), timeout: .seconds(2), logger: Self.quietLogger)
            #expect(await crawlers.notifyOfUpdate())
            #expect(relays.map(\.received.count) == [1, 1])
            try await Task.sleep(for: .milliseconds(60))
            #expect(await crawlers.notifyOfUpdate())
            #expect(relays.map(\.received.count) == [2, 2])

            let none = Crawlers(
                hostname: "pds.example.com", crawlers: [], sequencer: sequencer, logger: Self.quietLogger)
            #expect(await !none.notifyOfUpdate())
        }
    }
}
