import CoreMetrics
import ATCore
import Identity
import Logging
import Sequencer
import ServiceLifecycle
import Synchronization

/// Asks relays to crawl this PDS when it has new events (`PDS_CRAWLERS`; the reference's `Crawlers`).
///
/// The service follows the sequencer's live events (its own inserts and those of other processes, such as the admin
/// CLI) and, on an event, POSTs `com.atproto.sync.requestCrawl {"hostname": PDS_HOSTNAME}` to every crawler, at most
/// once per ``notifyInterval`` (20 minutes, as the reference). Requests run in child tasks, so neither writes nor the
/// event stream ever wait for a relay; failures are logged at `warning` and retried at the next event after the
/// interval, as the reference does.
package final class Crawlers: Service, Sendable {
    /// The reference's minimum time between two rounds of requests.
    package static let notifyInterval: Duration = .seconds(20 * 60)

    /// The hostname relays are asked to crawl (`PDS_HOSTNAME`).
    package let hostname: String
    /// The relays' base URLs (`PDS_CRAWLERS`).
    package let crawlers: [String]
    let sequencer: Sequencer
    let interval: Duration
    let fetcher: HTTPFetcher
    let logger: Logger
    let metrics: PDSMetrics
    private let lastNotified = Mutex<ContinuousClock.Instant?>(nil)
    private let newestEvent = Atomic<Int64>(0)
    private let eventsBeforeStart = Atomic<Bool>(false)

    /// The crawler notifier.
    /// - Parameters:
    ///   - hostname: this PDS's hostname.
    ///   - crawlers: relay base URLs (`https://bsky.network`).
    ///   - sequencer: the event log to follow.
    ///   - interval: the minimum time between two rounds of requests.
    ///   - timeout: the deadline of one request.
    ///   - logger: where failures go.
    ///   - metrics: counts the requests (`pds_crawler_requests_total`).
    package init(
        hostname: String, crawlers: [String], sequencer: Sequencer, interval: Duration = Crawlers.notifyInterval,
        timeout: Duration = .seconds(10), logger: Logger, metrics: PDSMetrics = .disabled
    ) {
        self.metrics = metrics
        self.hostname = hostname
        self.crawlers = crawlers
        self.sequencer = sequencer
        self.interval = interval
        // Operator-configured URLs: plain http and private addresses are allowed (a relay on the same network).
        self.fetcher = HTTPFetcher(
            configuration: .init(timeout: timeout, maxResponseSize: 65_536, ssrfProtection: false))
        self.logger = logger
    }

    /// Records that events were sequenced before the service started following the live stream (the start-up
    /// reconcile's `#sync`s): the service then requests a crawl as soon as it runs, as it would have for a live event.
    package func noteEventsBeforeStart() {
        eventsBeforeStart.store(true, ordering: .releasing)
    }

    /// The seq of the newest event the service has seen (for metrics and tests).
    package var newestEventSeen: Int64 { newestEvent.load(ordering: .acquiring) }

    // MARK: - Service

    /// Follows live events until graceful shutdown, notifying crawlers when the interval allows.
    package func run() async throws {
        guard !crawlers.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown { await self.follow() }
    }

    /// Follows the live event stream (again, should it end with `ConsumerTooSlow`) until the sequencer finishes or
    /// the task is cancelled; requests run in child tasks, cancelled on the way out.
    private func follow() async {
        await withDiscardingTaskGroup { group in
            if eventsBeforeStart.exchange(false, ordering: .acquiringAndReleasing), claimRound() {
                group.addTask { await self.requestCrawls() }
            }
            while !Task.isCancelled {
                do {
                    for try await item in Outbox(sequencer: sequencer).events(cursor: nil, maxBuffer: 10_000) {
                        guard case .event(let event) = item else { continue }
                        if claimRound() { group.addTask { await self.requestCrawls() } }
                        newestEvent.store(event.seq, ordering: .releasing)
                    }
                    break  // the sequencer shut down, or the task was cancelled
                } catch {
                    logger.warning("Crawler notifier fell behind the event stream", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            group.cancelAll()
        }
    }

    // MARK: - Notifying

    /// Whether a round of requests is due; if so, the round is claimed (the interval starts now).
    func claimRound(now: ContinuousClock.Instant = .now) -> Bool {
        lastNotified.withLock { last in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
    }

    /// Notifies every crawler now if the interval allows (the reference's `notifyOfUpdate`), and waits for the
    /// requests.
    /// - Returns: whether requests were sent.
    @discardableResult
    package func notifyOfUpdate() async -> Bool {
        guard !crawlers.isEmpty, claimRound() else { return false }
        await requestCrawls()
        return true
    }

    /// POSTs `requestCrawl` to every crawler concurrently; failures are logged.
    private func requestCrawls() async {
        let body = LexValue.map(["hostname": .string(hostname)]).jsonBytes
        await withDiscardingTaskGroup { group in
            for crawler in crawlers {
                group.addTask {
                    let url = "\(crawler)/xrpc/com.atproto.sync.requestCrawl"
                    do {
                        let response = try await self.fetcher.post(url, json: body)
                        guard (200..<300).contains(response.status) else {
                            self.metrics.crawlRequestsFailed.increment()
                            self.logger.warning(
                                "Crawler refused requestCrawl",
                                metadata: [
                                    "crawler.url": "\(crawler)", "http.status": "\(response.status)",
                                    "http.body": "\(String(decoding: response.body.prefix(500), as: UTF8.self))",
                                ])
                            return
                        }
                        self.metrics.crawlRequestsOK.increment()
                        self.logger.debug("Requested a crawl", metadata: ["crawler.url": "\(crawler)"])
                    } catch {
                        self.metrics.crawlRequestsFailed.increment()
                        self.logger.warning(
                            "requestCrawl failed", metadata: ["crawler.url": "\(crawler)", "error": "\(error)"])
                    }
                }
            }
        }
    }
}
