import ATCore
import Foundation
import HummingbirdWSClient
import Identity
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps a local op store a validated copy of an upstream PLC directory (`pds plc serve --replicate URL`).
///
/// It pages the upstream's `/export?after=<createdAt>`, reads each line as sent, and decides every operation
/// against that DID's stored history (``PLCReplicaValidation``): valid ones are stored with their original line
/// (for plcbundle archives), invalid ones are recorded with the reason in the rejections table and never served.
/// Within a page the DIDs are decided concurrently by at most ``Options/workers`` tasks, on the shared
/// ``BlockingPool`` CPU slots; one DID's operations stay in upstream order. Each page and the cursor after it commit
/// in one transaction, so after a crash or restart replication resumes exactly where it stopped.
///
/// Once caught up it follows the upstream's `/export/stream` WebSocket when there is one (``followStream(from:)``),
/// deciding and committing each streamed operation the same way; on a gap it goes back to paging from its cursor.
/// Without a stream it polls `/export` every ``Options/pollInterval`` and tries the stream again every
/// ``Options/streamRetryInterval``.
package final class PLCReplicator: Service, Sendable {
    /// Tuning.
    package struct Options: Sendable {
        /// Operations asked for per page (the reference directory serves at most 1,000).
        package var pageSize = 1000
        /// At most this many DIDs are validated at once.
        package var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// The pause between polls once caught up.
        package var pollInterval: Duration = .seconds(1)
        /// Follow the upstream's `/export/stream` once caught up.
        package var followStream = true
        /// Seconds before trying the stream again after the upstream offered none.
        package var streamRetryInterval: TimeInterval = 60
        /// The first pause after a failure (doubling up to 30 s).
        package var retryInterval: Duration = .seconds(1)
        /// How often the progress line is logged.
        package var progressInterval: TimeInterval = 10

        /// The defaults.
        package init() {}
    }

    /// Why replication cannot start.
    package struct StartError: Error, CustomStringConvertible, Sendable {
        /// The reason, as one sentence.
        package var description: String
    }

    private let store: PLCOperationStore
    private let upstream: PLCUpstreamExport
    private let options: Options
    private let logger: Logger
    /// Live progress, for the status endpoint.
    package let progress: PLCReplicaProgress
    private let initialCursor: PLCReplicaCursor

    /// Prepares replication into `store`, resuming from its committed cursor.
    /// - Parameters:
    ///   - store: the op store; either empty or already a replica of the same upstream.
    ///   - upstream: the upstream reader.
    ///   - options: tuning.
    ///   - logger: where progress and rejections are logged.
    /// - Throws: ``StartError`` when the database holds another upstream's copy or operations of its own.
    package init(store: PLCOperationStore, upstream: PLCUpstreamExport, options: Options = Options(), logger: Logger)
        async throws
    {
        let cursor: PLCReplicaCursor
        if let saved = try await store.replicaCursor() {
            guard saved.upstream == upstream.baseURL else {
                throw StartError(
                    description: "the database replicates \(saved.upstream), not \(upstream.baseURL); "
                        + "use a new database file for another upstream")
            }
            cursor = saved
        } else {
            guard try await store.isEmpty() else {
                throw StartError(
                    description: "the database holds operations that were not replicated from \(upstream.baseURL); "
                        + "use a new database file for a replica")
            }
            cursor = PLCReplicaCursor(upstream: upstream.baseURL)
        }
        self.store = store
        self.upstream = upstream
        self.options = options
        self.logger = logger
        self.initialCursor = cursor
        self.progress = PLCReplicaProgress(cursor: cursor)
    }

    /// Replicates until cancelled or until graceful shutdown; a page being committed finishes first.
    package func run() async throws {
        logger.info(
            "PLC replica starting",
            metadata: [
                "plc.upstream": "\(upstream.baseURL)", "plc.cursor": "\(initialCursor.createdAt ?? "start")",
                "plc.position": "\(initialCursor.position)",
            ])
        try? await cancelWhenGracefulShutdown { try await self.replicate() }
        logger.info("PLC replica stopped", metadata: ["plc.position": "\(progress.status.cursor.position)"])
    }

    private func replicate() async throws {
        var cursor = initialCursor
        var lastLog = Date()
        var retry = options.retryInterval
        var skipTies = false
        var nextStreamAttempt = Date.distantPast
        while !Task.isCancelled {
            do {
                let step = try await fetchPage(cursor, skipTies: skipTies)
                cursor = step.cursor
                skipTies = step.skipTies
                retry = options.retryInterval
                if Date().timeIntervalSince(lastLog) >= options.progressInterval {
                    logProgress()
                    lastLog = Date()
                }
                guard !step.full else { continue }
                if options.followStream, Date() >= nextStreamAttempt {
                    let opened = try await followStream(from: cursor)
                    cursor = progress.status.cursor
                    if !opened { nextStreamAttempt = Date().addingTimeInterval(options.streamRetryInterval) }
                    continue
                }
                try await Task.sleep(for: options.pollInterval)
            } catch is CancellationError {
                return
            } catch {
                progress.failed(String(describing: error))
                logger.error(
                    "PLC replica page failed; retrying",
                    metadata: ["error": "\(error)", "retry.seconds": "\(retry.components.seconds)"])
                try await Task.sleep(for: retry)
                retry = min(retry * 2, .seconds(30))
            }
        }
    }

    /// Fetches, decides and commits one `/export` page.
    /// - Parameters:
    ///   - cursor: the committed cursor.
    ///   - skipTies: ask from ``PLCReplicaCursor/createdAt`` itself (the previous page was all one millisecond).
    /// - Returns: the cursor after the page, whether the page was full, and `skipTies` for the next one.
    private func fetchPage(_ cursor: PLCReplicaCursor, skipTies: Bool) async throws
        -> (cursor: PLCReplicaCursor, full: Bool, skipTies: Bool)
    {
        let after = skipTies ? cursor.createdAt : cursor.afterParameter
        let lines = try await upstream.page(after: after, count: options.pageSize)
        let page = try await process(lines, cursor: cursor)
        let full = lines.count >= options.pageSize
        let nextSkipTies = page.decisions.isEmpty && full
        if nextSkipTies {
            logger.warning(
                "A whole page shares one createdAt; skipping to the next millisecond",
                metadata: ["plc.cursor": "\(cursor.createdAt ?? "")"])
        }
        let next = try await commit(page, from: cursor)
        progress.committed(next, caughtUp: !full)
        return (next, full, nextSkipTies)
    }

    /// Pages until a page is not full (the end of the upstream's log).
    private func catchUp(_ start: PLCReplicaCursor) async throws -> PLCReplicaCursor {
        var cursor = start
        var skipTies = false
        while true {
            let step = try await fetchPage(cursor, skipTies: skipTies)
            cursor = step.cursor
            skipTies = step.skipTies
            if !step.full { return cursor }
        }
    }

    /// Commits decided operations with the cursor after them, logging the rejections.
    /// - Returns: the committed cursor (`start` when there was nothing to commit).
    private func commit(
        _ page: (decisions: [PLCReplicaDecision], cursor: PLCReplicaCursor), from start: PLCReplicaCursor
    )
        async throws -> PLCReplicaCursor
    {
        guard !page.decisions.isEmpty else { return start }
        try await store.commitReplicaPage(page.decisions, cursor: page.cursor, rejectedAt: Date())
        for decision in page.decisions {
            if case .rejected(let reason) = decision.outcome {
                logger.warning(
                    "PLC replica rejected an upstream operation",
                    metadata: [
                        "plc.did": "\(decision.did ?? "?")", "plc.cid": "\(decision.cid ?? "?")",
                        "plc.reason": "\(reason)",
                    ])
            }
        }
        return page.cursor
    }

    /// Why following the stream stopped.
    private struct StreamGap: Error, CustomStringConvertible {
        var description: String
    }

    /// Follows the upstream's `/export/stream` from a caught-up cursor until a gap: the stream closes or fails, a
    /// message is unreadable, or its `seq` does not follow the previous one. On connecting, and again on the first
    /// message, it pages from the cursor (the operations committed upstream before the subscription began);
    /// stream messages already covered by those pages are skipped. Each message is then decided and committed with
    /// its cursor like a page of one. The committed cursor is left in ``progress``.
    /// - Parameters:
    ///   - start: the committed cursor, caught up.
    /// - Returns: whether the stream opened (`false`: the upstream offers none, or it could not be reached).
    private func followStream(from start: PLCReplicaCursor) async throws -> Bool {
        let opened = PLCStreamFlag()
        do {
            try await upstream.followStream(logger: logger) { inbound in
                opened.set()
                self.progress.switched(to: .streaming)
                self.logger.info(
                    "PLC replica following the upstream stream", metadata: ["plc.url": "\(self.upstream.streamURL)"])
                var cursor = try await self.catchUp(start)
                var lastSeq: Int64?
                var overlapUntil: String?
                for try await message in inbound.messages(maxSize: PLCUpstreamExport.maxPageBytes) {
                    guard case .text(let text) = message, let record = PLCUpstreamExport.streamRecord(text) else {
                        throw StreamGap(description: "an unreadable stream message")
                    }
                    if let lastSeq, record.seq != lastSeq + 1 {
                        throw StreamGap(description: "seq \(record.seq) does not follow \(lastSeq)")
                    }
                    if lastSeq == nil {
                        cursor = try await self.catchUp(cursor)
                        overlapUntil = cursor.createdAt
                    }
                    lastSeq = record.seq
                    let createdAt = PLCReplicaValidation.parse(record.line, position: cursor.position).createdAt
                    if let until = overlapUntil {
                        // Messages the catch-up pages already covered; past them, a backwards one is misordered.
                        if let createdAt, createdAt < until { continue }
                        overlapUntil = nil
                    }
                    let page = try await self.process([record.line], cursor: cursor)
                    cursor = try await self.commit(page, from: cursor)
                    self.progress.committed(cursor, caughtUp: true)
                }
                throw StreamGap(description: "the upstream closed the stream")
            }
        } catch is CancellationError {
            progress.switched(to: .paging)
            throw CancellationError()
        } catch {
            progress.switched(to: .paging)
            if Task.isCancelled { throw CancellationError() }
            if opened.isSet {
                logger.warning("PLC replica stream gap; paging from the cursor", metadata: ["reason": "\(error)"])
            } else {
                logger.info(
                    "PLC replica cannot follow the upstream stream; polling /export",
                    metadata: ["error": "\(error)", "retry.seconds": "\(options.streamRetryInterval)"])
            }
            return opened.isSet
        }
        progress.switched(to: .paging)
        return true
    }

    private func logProgress() {
        let status = progress.status
        logger.info(
            "PLC replica progress",
            metadata: [
                "plc.cursor": "\(status.cursor.createdAt ?? "start")", "plc.position": "\(status.cursor.position)",
                "plc.accepted": "\(status.cursor.accepted)", "plc.rejected": "\(status.cursor.rejected)",
                "plc.ops_per_second": "\(String(format: "%.1f", status.operationsPerSecond))",
                "plc.lag_seconds": "\(String(format: "%.1f", status.lagSeconds))",
                "plc.caught_up": "\(status.caughtUp)",
            ])
    }

    /// Decides one fetched page.
    /// - Parameters:
    ///   - lines: the page's lines, as received.
    ///   - cursor: the committed cursor the page was fetched from.
    /// - Returns: the decisions for the lines not processed before, in upstream order, and the cursor after them.
    package func process(_ lines: [String], cursor start: PLCReplicaCursor) async throws
        -> (decisions: [PLCReplicaDecision], cursor: PLCReplicaCursor)
    {
        var cursor = start
        var failures: [PLCReplicaDecision] = []
        var groups: [String: [PLCReplicaValidation.ParsedLine]] = [:]
        var groupOrder: [String] = []
        for line in lines {
            var parsed = PLCReplicaValidation.parse(line, position: cursor.position)
            let key = PLCReplicaCursor.boundaryKey(cid: parsed.cid, line: line)
            if start.alreadyProcessed(createdAt: parsed.createdAt, key: key) { continue }
            if let createdAt = parsed.createdAt, let latest = cursor.createdAt, createdAt < latest {
                parsed.entry = .failure(
                    .misorderedOperation(
                        "createdAt \(createdAt) runs backwards in the upstream export (after \(latest))"))
            }
            cursor.advance(createdAt: parsed.createdAt, key: key)
            switch parsed.entry {
            case .failure(let error):
                failures.append(
                    PLCReplicaDecision(
                        position: parsed.position, line: parsed.line, did: parsed.did, cid: parsed.cid,
                        createdAt: parsed.createdAt, outcome: .rejected(reason: error.description)))
            case .success(let entry):
                let key = entry.did.rawValue
                if groups[key] == nil { groupOrder.append(key) }
                groups[key, default: []].append(parsed)
            }
        }
        var decisions = failures
        let store = self.store
        try await withThrowingTaskGroup(of: [PLCReplicaDecision].self) { group in
            var pending = groupOrder.makeIterator()
            func startNext() {
                guard let did = pending.next(), let lines = groups[did] else { return }
                group.addTask {
                    let history = try await store.auditLog(try DID(did))
                    return try await BlockingPool.shared.runCPUBound {
                        PLCReplicaValidation.decide(lines, history: history)
                    }
                }
            }
            for _ in 0..<options.workers { startNext() }
            while let decided = try await group.next() {
                decisions.append(contentsOf: decided)
                startNext()
            }
        }
        decisions.sort { $0.position < $1.position }
        for decision in decisions {
            if case .accepted = decision.outcome { cursor.accepted += 1 }
            if case .rejected = decision.outcome { cursor.rejected += 1 }
        }
        return (decisions, cursor)
    }
}

/// A one-way flag set from a stream handler and read after it ends.
private final class PLCStreamFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// Sets the flag.
    func set() { value.store(true, ordering: .sequentiallyConsistent) }

    /// Whether the flag was set.
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
