import ATCore
import Foundation
import Synchronization

/// A replica's live progress, as `GET /_replica/status` reports it and the periodic progress line logs it.
package struct PLCReplicaStatus: Sendable {
    /// How the replica is reading its upstream.
    package enum Mode: String, Sendable {
        /// Fetching `/export` pages (catching up, polling, or after a stream gap).
        case paging
        /// Following the upstream's `/export/stream` WebSocket.
        case streaming
    }

    /// The upstream directory.
    package var upstream: String
    /// The committed cursor.
    package var cursor: PLCReplicaCursor
    /// How the replica is reading its upstream now.
    package var mode: Mode = .paging
    /// Operations per second (accepted, duplicate or rejected) over the last ten seconds.
    package var operationsPerSecond: Double = 0
    /// Whether the last page reached the end of the upstream's log.
    package var caughtUp = false
    /// Seconds between now and the last processed operation's `createdAt` while catching up; 0 once caught up.
    package var lagSeconds: Double = 0
    /// The last fetch or commit failure, cleared by the next success.
    package var lastError: String?
    /// When this process started replicating.
    package var startedAt: Date

    /// The JSON form.
    package var jsonValue: JSONValue {
        var members: [String: JSONValue] = [
            "upstream": .string(upstream),
            "mode": .string(mode.rawValue),
            "position": .number(String(cursor.position)),
            "accepted": .number(String(cursor.accepted)),
            "rejected": .number(String(cursor.rejected)),
            "operationsPerSecond": .number(String(format: "%.1f", operationsPerSecond)),
            "caughtUp": .bool(caughtUp),
            "lagSeconds": .number(String(format: "%.3f", lagSeconds)),
            "startedAt": .string(Datetime(startedAt).rawValue),
        ]
        members["cursor"] = cursor.createdAt.map(JSONValue.string) ?? .null
        members["lastError"] = lastError.map(JSONValue.string) ?? .null
        return .object(members)
    }
}

/// The shared, lock-protected ``PLCReplicaStatus`` with the rate window behind `operationsPerSecond`.
package final class PLCReplicaProgress: Sendable {
    private struct State {
        var status: PLCReplicaStatus
        var samples: [(time: Date, position: Int64)] = []
    }

    private let state: Mutex<State>
    /// The window over which the rate is measured.
    static let window: TimeInterval = 10

    /// Starts tracking from a cursor.
    /// - Parameters:
    ///   - cursor: the committed cursor at start.
    ///   - now: the start time.
    package init(cursor: PLCReplicaCursor, now: Date = Date()) {
        state = Mutex(
            State(
                status: PLCReplicaStatus(upstream: cursor.upstream, cursor: cursor, startedAt: now),
                samples: [(now, cursor.position)]))
    }

    /// The current status.
    package var status: PLCReplicaStatus { state.withLock { $0.status } }

    /// Records a committed page.
    /// - Parameters:
    ///   - cursor: the cursor after it.
    ///   - caughtUp: whether the page reached the end of the upstream's log.
    ///   - now: the time of the commit.
    func committed(_ cursor: PLCReplicaCursor, caughtUp: Bool, now: Date = Date()) {
        state.withLock { state in
            state.status.cursor = cursor
            state.status.caughtUp = caughtUp
            state.status.lastError = nil
            state.samples.append((now, cursor.position))
            while state.samples.count > 2, now.timeIntervalSince(state.samples[0].time) > Self.window {
                state.samples.removeFirst()
            }
            if let first = state.samples.first, now.timeIntervalSince(first.time) > 0 {
                state.status.operationsPerSecond =
                    Double(cursor.position - first.position) / now.timeIntervalSince(first.time)
            }
            if caughtUp {
                state.status.lagSeconds = 0
            } else if let createdAt = cursor.createdAt, let date = try? Datetime(createdAt).date {
                state.status.lagSeconds = max(0, now.timeIntervalSince(date))
            }
        }
    }

    /// Records a switch between paging and streaming.
    func switched(to mode: PLCReplicaStatus.Mode) {
        state.withLock { $0.status.mode = mode }
    }

    /// Records a failure (the replicator retries after a pause).
    func failed(_ reason: String) {
        state.withLock { $0.status.lastError = reason }
    }
}
