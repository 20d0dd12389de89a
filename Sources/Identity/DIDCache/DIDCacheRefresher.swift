import ATCore
import Logging
import ServiceLifecycle
import Synchronization

/// Runs background refreshes of stale DID cache entries, as a `Service` in the application's group.
///
/// Requests are deduplicated per DID while one is pending or running, the queue is bounded (requests beyond
/// ``maxQueued`` are dropped: the stale entry keeps being served until the next request or its max TTL), and at
/// most ``maxConcurrent`` refreshes run at once. If the service is not running, nothing is refreshed in the
/// background and expired entries are resolved synchronously, so correctness never depends on it.
package final class DIDCacheRefresher: Service, Sendable {
    /// One refresh to run.
    struct Job: Sendable {
        var did: DID
        var work: @Sendable () async -> Void
    }

    /// The largest number of queued refreshes.
    package let maxQueued: Int
    /// The largest number of refreshes run at once.
    package let maxConcurrent: Int
    private let pending = Mutex<Set<DID>>([])
    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let logger: Logger

    /// Creates a refresher.
    /// - Parameters:
    ///   - maxQueued: the queue bound.
    ///   - maxConcurrent: the concurrency bound.
    ///   - logger: where refresh failures are logged (at debug: the stale entry is still served).
    package init(maxQueued: Int = 1000, maxConcurrent: Int = 4, logger: Logger = Logger(label: "pds.did-cache")) {
        self.maxQueued = maxQueued
        self.maxConcurrent = maxConcurrent
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .bufferingOldest(maxQueued))
    }

    /// Queues `work` for `did` unless a refresh of `did` is already pending.
    /// - Parameters:
    ///   - did: the DID being refreshed.
    ///   - work: the refresh; it must not throw (failures are its own to log).
    /// - Returns: whether the job was queued.
    @discardableResult
    package func enqueue(_ did: DID, work: @escaping @Sendable () async -> Void) -> Bool {
        guard pending.withLock({ $0.insert(did).inserted }) else { return false }
        switch continuation.yield(Job(did: did, work: work)) {
        case .enqueued:
            return true
        case .dropped, .terminated:
            pending.withLock { _ = $0.remove(did) }
            return false
        @unknown default:
            pending.withLock { _ = $0.remove(did) }
            return false
        }
    }

    /// Whether a refresh of `did` is queued or running.
    /// - Parameters:
    ///   - did: the DID.
    package func isPending(_ did: DID) -> Bool { pending.withLock { $0.contains(did) } }

    /// Processes refreshes until graceful shutdown.
    package func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await job in stream.cancelOnGracefulShutdown() {
                if running >= maxConcurrent {
                    await group.next()
                    running -= 1
                }
                running += 1
                group.addTask {
                    await job.work()
                    self.pending.withLock { _ = $0.remove(job.did) }
                }
            }
            group.cancelAll()
        }
    }
}
