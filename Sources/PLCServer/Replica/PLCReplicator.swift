import ATCore
import Foundation
import Identity
import Logging
import ServiceLifecycle

/// Keeps a local op store a validated copy of an upstream PLC directory (`pds plc serve --replicate URL`).
///
/// It pages the upstream's `/export?after=<createdAt>`, reads each line as sent, and decides every operation
/// against that DID's stored history (``PLCReplicaValidation``): valid ones are stored with their original line
/// (for plcbundle archives), invalid ones are recorded with the reason in the rejections table and never served.
/// Within a page the DIDs are decided concurrently by at most ``Options/workers`` tasks, on the shared
/// ``BlockingPool`` CPU slots; one DID's operations stay in upstream order. Each page and the cursor after it commit
/// in one transaction, so after a crash or restart replication resumes exactly where it stopped.
///
/// Not implemented: following `/export/stream` (the upstream WebSocket); the replicator polls `/export` once it has
/// caught up.
package final class PLCReplicator: Service, Sendable {
    /// Tuning.
    package struct Options: Sendable {
        /// Operations asked for per page (the reference directory serves at most 1,000).
        package var pageSize = 1000
        /// At most this many DIDs are validated at once.
        package var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// The pause between polls once caught up.
        package var pollInterval: Duration = .seconds(1)
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
        while !Task.isCancelled {
            do {
                let after = skipTies ? cursor.createdAt : cursor.afterParameter
                let lines = try await upstream.page(after: after, count: options.pageSize)
                let page = try await process(lines, cursor: cursor)
                let full = lines.count >= options.pageSize
                skipTies = page.decisions.isEmpty && full
                if skipTies {
                    logger.warning(
                        "A whole page shares one createdAt; skipping to the next millisecond",
                        metadata: ["plc.cursor": "\(cursor.createdAt ?? "")"])
                }
                if !page.decisions.isEmpty {
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
                    cursor = page.cursor
                }
                progress.committed(cursor, caughtUp: !full)
                retry = options.retryInterval
                if Date().timeIntervalSince(lastLog) >= options.progressInterval {
                    logProgress()
                    lastLog = Date()
                }
                if !full { try await Task.sleep(for: options.pollInterval) }
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

    private func logProgress() {
        let status = progress.status
        logger.info(
            "PLC replica progress",
            metadata: [
                "plc.cursor": "\(status.cursor.createdAt ?? "start")", "plc.position": "\(status.cursor.position)",
                "plc.accepted": "\(status.cursor.accepted)", "plc.rejected": "\(status.cursor.rejected)",
                "plc.ops_per_second": "\(String(format: "%.1f", status.operationsPerSecond))",
                "plc.lag_seconds": "\(String(format: "%.1f", status.lagSeconds))", "plc.caught_up": "\(status.caughtUp)",
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
                    .misorderedOperation("createdAt \(createdAt) runs backwards in the upstream export (after \(latest))"))
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
                    return try await BlockingPool.shared.runCPUBound { PLCReplicaValidation.decide(lines, history: history) }
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
