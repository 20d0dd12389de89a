import Foundation
import PDSServer
import Sequencer

extension PDSServices {
    /// The events sequenced after `seq` (from the start for `nil`), at most one page of the sequencer's.
    /// - Parameters:
    ///   - seq: the last seq already seen.
    package func events(after seq: Int64?) async throws -> [SequencedEvent] {
        try await sequencer.requestSeqRange(after: seq).events
    }

    /// An `authorization` value for the admin: `Basic` with the admin password (generated in dev mode).
    package func adminAuthorization() throws -> String {
        let password = try configuration.resolvingSecrets().adminPassword
        return "Basic " + Data("admin:\(password)".utf8).base64EncodedString()
    }
}

/// Polls `condition` until it holds: a liveness bound for background work, not a timing assertion.
/// - Parameters:
///   - what: what is awaited, for the failure.
///   - timeout: how long to wait before failing.
///   - interval: the pause between polls.
///   - condition: the condition.
/// - Throws: ``TimedOut`` when `condition` still does not hold after `timeout`.
package func eventually(
    _ what: String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: interval)
    }
}

/// ``eventually(_:timeout:interval:_:)`` gave up.
package struct TimedOut: Error, CustomStringConvertible {
    /// What was awaited.
    package let what: String
    package var description: String { "timed out waiting for \(what)" }
}

/// Copies a closed SQLite database (and its `-wal` and `-shm` files, when present) over `destination`'s.
/// - Parameters:
///   - source: the database file to copy.
///   - destination: the database file to replace.
package func copyDatabase(_ source: URL, to destination: URL) throws {
    let files = FileManager.default
    for suffix in ["", "-wal", "-shm"] {
        let from = URL(fileURLWithPath: source.path + suffix)
        let to = URL(fileURLWithPath: destination.path + suffix)
        if files.fileExists(atPath: to.path) { try files.removeItem(at: to) }
        if files.fileExists(atPath: from.path) { try files.copyItem(at: from, to: to) }
    }
}
