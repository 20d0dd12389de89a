import Foundation
import Synchronization

/// Produces strictly increasing TIDs from the wall clock, with a random clock identifier fixed at creation.
///
/// If the clock has not advanced (or went backwards) since the last TID, the timestamp is bumped by one
/// microsecond, so every TID from one generator is greater than the previous one.
package final class TIDGenerator: Sendable {
    /// The clock identifier used in every TID from this generator.
    package let clockID: UInt16

    private let now: @Sendable () -> UInt64
    private let lastTimestamp = Mutex<UInt64>(0)

    /// Creates a generator.
    ///
    /// - Parameters:
    ///   - clockID: The clock identifier; random in `0..<1024` when `nil`.
    ///   - now: The current time in microseconds since the Unix epoch; the system clock by default.
    package init(clockID: UInt16? = nil, now: @escaping @Sendable () -> UInt64 = TIDGenerator.systemMicroseconds) {
        precondition(clockID.map { $0 <= TID.maxClockID } ?? true, "TID clock id out of range")
        self.clockID = clockID ?? UInt16.random(in: 0...TID.maxClockID)
        self.now = now
    }

    /// The next TID, greater than every TID this generator returned before.
    package func next() -> TID { next(after: nil) }

    /// The next TID, greater than every TID this generator returned before and greater than `previous`.
    ///
    /// Use it for repo revisions, which must increase even when the last revision came from another generator
    /// (another process, a restore, a skewed clock).
    ///
    /// - Note: The guarantee holds unless `previous` is already the largest encodable TID timestamp
    ///   (``TID/maxEncodableTimestampMicroseconds``, far beyond any real clock).
    ///
    /// - Parameters:
    ///   - previous: A TID the result must exceed, if any.
    package func next(after previous: TID?) -> TID {
        let floor = previous.map { $0.timestampMicroseconds } ?? 0
        let timestamp = lastTimestamp.withLock { last in
            var candidate = max(now(), last &+ 1)
            if previous != nil { candidate = max(candidate, floor &+ 1) }
            candidate = min(candidate, TID.maxEncodableTimestampMicroseconds)
            last = candidate
            return candidate
        }
        return TID(timestampMicroseconds: timestamp, clockID: clockID)
    }

    /// Microseconds since the Unix epoch from the system clock.
    package static func systemMicroseconds() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
    }
}
