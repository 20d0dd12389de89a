import ActorStore
import CoreMetrics
import Prometheus
import SQLiteSupport
import Sequencer
import Synchronization

/// The server's metrics (`PDS_METRICS_*`, our extension), through swift-metrics into a Prometheus registry.
///
/// Counters and histograms are updated where things happen (requests, group commits, uploads, background jobs);
/// gauges of state owned elsewhere (the handle cache, descriptors, the firehose) are read when `/metrics` is scraped
/// (``scrape(_:)``). Each instance has its own registry and factory, so tests never depend on the process-wide
/// `MetricsSystem.bootstrap` (which `pds serve` does once with ``factory``).
package final class PDSMetrics: Sendable {
    /// Where the metrics live; `nil` when metrics are off (every instrument is then a no-op).
    package let registry: PrometheusCollectorRegistry?
    /// The factory every instrument is made with.
    package let factory: any MetricsFactory

    /// Bytes of blobs accepted by `uploadBlob`.
    package let blobBytesUploaded: CoreMetrics.Counter
    /// Appends per sequencer transaction (the group-commit batch size).
    package let sequencerBatchSize: CoreMetrics.Recorder
    /// `requestCrawl` calls that a crawler accepted.
    package let crawlRequestsOK: CoreMetrics.Counter
    /// `requestCrawl` calls that failed or were refused.
    package let crawlRequestsFailed: CoreMetrics.Counter
    /// Completed sweeps of the blob garbage collector.
    package let blobGCSweeps: CoreMetrics.Counter
    /// Unclaimed uploads the blob garbage collector deleted.
    package let blobGCDeleted: CoreMetrics.Counter

    private let cacheHits: CoreMetrics.Counter
    private let cacheMisses: CoreMetrics.Counter
    private let cacheEvictions: CoreMetrics.Counter
    private let cacheOpen: CoreMetrics.Gauge
    private let cacheCapacity: CoreMetrics.Gauge
    private let openFDs: CoreMetrics.Gauge
    private let maxFDs: CoreMetrics.Gauge
    private let headSeq: CoreMetrics.Gauge
    private let subscribers: CoreMetrics.Gauge
    private let subscriberLagMax: CoreMetrics.Gauge
    private let subscriberLagSum: CoreMetrics.Gauge
    /// The handle cache's cumulative counts at the previous scrape (its counters only grow).
    private let lastCacheStats = Mutex<(hits: Int, misses: Int, evictions: Int)>((0, 0, 0))

    /// Metrics into `registry`, or no-ops when it is `nil`.
    /// - Parameters:
    ///   - registry: the Prometheus registry `/metrics` renders.
    package init(registry: PrometheusCollectorRegistry?) {
        self.registry = registry
        let factory: any MetricsFactory
        if let registry {
            var prometheus = PrometheusMetricsFactory(registry: registry)
            prometheus.valueHistogramBuckets["pds_sequencer_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
            factory = prometheus
        } else {
            factory = NOOPMetricsHandler.instance
        }
        self.factory = factory
        blobBytesUploaded = CoreMetrics.Counter(label: "pds_blob_uploaded_bytes_total", factory: factory)
        sequencerBatchSize = CoreMetrics.Recorder(label: "pds_sequencer_batch_size", aggregate: true, factory: factory)
        crawlRequestsOK = CoreMetrics.Counter(
            label: "pds_crawler_requests_total", dimensions: [("result", "ok")], factory: factory)
        crawlRequestsFailed = CoreMetrics.Counter(
            label: "pds_crawler_requests_total", dimensions: [("result", "failed")], factory: factory)
        blobGCSweeps = CoreMetrics.Counter(label: "pds_blob_gc_sweeps_total", factory: factory)
        blobGCDeleted = CoreMetrics.Counter(label: "pds_blob_gc_deleted_total", factory: factory)
        cacheHits = CoreMetrics.Counter(label: "pds_actor_handle_cache_hits_total", factory: factory)
        cacheMisses = CoreMetrics.Counter(label: "pds_actor_handle_cache_misses_total", factory: factory)
        cacheEvictions = CoreMetrics.Counter(label: "pds_actor_handle_cache_evictions_total", factory: factory)
        cacheOpen = CoreMetrics.Gauge(label: "pds_actor_handle_cache_open_handles", factory: factory)
        cacheCapacity = CoreMetrics.Gauge(label: "pds_actor_handle_cache_capacity", factory: factory)
        openFDs = CoreMetrics.Gauge(label: "process_open_fds", factory: factory)
        maxFDs = CoreMetrics.Gauge(label: "process_max_fds", factory: factory)
        headSeq = CoreMetrics.Gauge(label: "pds_sequencer_head_seq", factory: factory)
        subscribers = CoreMetrics.Gauge(label: "pds_firehose_subscribers", factory: factory)
        subscriberLagMax = CoreMetrics.Gauge(label: "pds_firehose_subscriber_lag_max_events", factory: factory)
        subscriberLagSum = CoreMetrics.Gauge(label: "pds_firehose_subscriber_lag_sum_events", factory: factory)
    }

    /// Metrics that record nothing (`PDS_METRICS_ENABLED=false`).
    package static let disabled = PDSMetrics(registry: nil)

    /// Whether metrics are recorded.
    package var isEnabled: Bool { registry != nil }

    /// Counts one HTTP request and its latency.
    /// - Parameters:
    ///   - endpoint: the bounded label of the request's target (``RequestMetricsMiddleware/endpoint(path:)``).
    ///   - status: the response status code.
    ///   - duration: the time to the response head.
    package func recordRequest(endpoint: String, status: Int, duration: Duration) {
        guard isEnabled else { return }
        let dimensions = [("endpoint", endpoint), ("status", Self.statusClass(status))]
        CoreMetrics.Counter(label: "pds_http_requests_total", dimensions: dimensions, factory: factory).increment()
        let (seconds, attoseconds) = duration.components
        CoreMetrics.Timer(label: "pds_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// `2xx`, `4xx`, … for a status code.
    static func statusClass(_ status: Int) -> String {
        (100..<600).contains(status) ? "\(status / 100)xx" : "other"
    }

    /// Reads the gauges from `sources`, then renders every metric in the Prometheus text format.
    /// - Parameters:
    ///   - sources: the state the gauges report.
    /// - Returns: the exposition, empty when metrics are off.
    package func scrape(_ sources: MetricsSources) -> [UInt8] {
        guard let registry else { return [] }
        if let actorStore = sources.actorStore {
            let stats = actorStore.handleCacheStats
            let previous = lastCacheStats.withLock { last in
                defer { last = (stats.hits, stats.misses, stats.evictions) }
                return last
            }
            cacheHits.increment(by: Int64(max(0, stats.hits - previous.hits)))
            cacheMisses.increment(by: Int64(max(0, stats.misses - previous.misses)))
            cacheEvictions.increment(by: Int64(max(0, stats.evictions - previous.evictions)))
            cacheOpen.record(stats.open)
            cacheCapacity.record(stats.capacity)
        }
        if let open = FileDescriptorLimit.openCount() { openFDs.record(open) }
        maxFDs.record(Int(clamping: FileDescriptorLimit.current))
        if let sequencer = sources.sequencer {
            let head = sequencer.headSeq
            headSeq.record(head)
            subscribers.record(sequencer.subscribers.count)
            let lags = sequencer.subscribers.lags(head: head)
            subscriberLagMax.record(lags.max() ?? 0)
            subscriberLagSum.record(lags.reduce(0, +))
        }
        return registry.emitToBuffer()
    }
}
