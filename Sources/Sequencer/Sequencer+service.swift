import ATCore
import Foundation
import GRDB
import Logging
import ServiceLifecycle

extension Sequencer {
    // MARK: - Service

    /// Runs the poll backstop and pruning until graceful shutdown or cancellation, then ends every live
    /// subscription.
    ///
    /// In-process inserts reach subscribers without this; it is needed for rows another process (the admin CLI)
    /// inserts, and for pruning.
    package func run() async throws {
        defer { fanOut.finish() }
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await self.pollLoop() }
                    if self.configuration.retention != nil {
                        group.addTask { try await self.pruneLoop() }
                    }
                }
            }
        } catch is CancellationError {
            return
        }
    }

    /// Polls with backoff: the shortest wait after finding rows, doubling up to the longest while idle.
    private func pollLoop() async throws {
        let range = configuration.pollInterval
        var delay = range.lowerBound
        while true {
            let found: Int
            do {
                found = try await poll()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("Sequencer poll failed", metadata: ["error": "\(error)"])
                found = 0
            }
            if found >= Self.pollLimit { continue }
            delay = found > 0 ? range.lowerBound : min(delay * 2, range.upperBound)
            try await Task.sleep(for: delay)
        }
    }

    private func pruneLoop() async throws {
        while true {
            do {
                try await prune()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("Sequencer pruning failed", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: configuration.pruneInterval)
        }
    }

    static let pollLimit = 1000

    /// Publishes rows inserted since the last publication (by another process); ``run()`` calls it in a loop.
    /// - Returns: the number of rows examined.
    @discardableResult
    package func poll() async throws -> Int {
        let after = fanOut.lastPublished
        let logger = logger
        let range = try await pool.read { db in
            try Self.fetchRange(db, after: after, before: nil, limit: Self.pollLimit, logger: logger)
        }
        guard let through = range.through else { return 0 }
        fanOut.publish(range.events, through: through)
        return range.examined
    }

    // MARK: - Pruning

    /// Deletes events sequenced before `now − retention`, in batches, keeping the newest row of the table (the
    /// counter lives on in `sqlite_sequence` anyway) and the newest `#commit`/`#sync` of every account, which
    /// start-up recovery compares with the repo root.
    ///
    /// Does nothing when ``Configuration/retention`` is `nil`.
    /// - Parameters:
    ///   - batchSize: rows deleted per transaction (short transactions keep writers waiting briefly).
    /// - Returns: the number of events deleted.
    @discardableResult
    package func prune(batchSize: Int = 1000) async throws -> Int {
        guard let retention = configuration.retention else { return 0 }
        let cutoff = configuration.now().addingTimeInterval(-Double(retention.components.seconds))
        return try await prune(before: cutoff, batchSize: batchSize)
    }

    /// Deletes events sequenced before `cutoff` (see ``prune(batchSize:)`` for what is kept).
    /// - Parameters:
    ///   - cutoff: the oldest instant kept.
    ///   - batchSize: rows per transaction.
    /// - Returns: the number of events deleted.
    @discardableResult
    package func prune(before cutoff: Date, batchSize: Int = 1000) async throws -> Int {
        let bound = Datetime(cutoff).rawValue
        var total = 0
        while true {
            let deleted = try await pool.write { db in
                try db.execute(
                    sql: """
                        DELETE FROM repo_seq WHERE seq IN (
                          SELECT seq FROM repo_seq
                          WHERE sequencedAt < ?
                            AND seq < (SELECT max(seq) FROM repo_seq)
                            AND seq NOT IN (
                              SELECT max(seq) FROM repo_seq WHERE eventType IN ('append', 'sync') GROUP BY did)
                          ORDER BY seq LIMIT ?)
                        """,
                    arguments: [bound, batchSize])
                return db.changesCount
            }
            total += deleted
            if deleted < batchSize { return total }
            try Task.checkCancellation()
        }
    }
}
