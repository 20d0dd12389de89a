import ATCore
import Foundation
import Synchronization

/// A wall clock that tests move by hand, for code that takes `now: @Sendable () -> Date`.
package final class TestWallClock: Sendable {
    private let current: Mutex<Date>

    /// A clock reading `start`.
    package init(_ start: Date = Date(timeIntervalSince1970: 1_750_000_000)) {
        current = Mutex(start)
    }

    /// The current reading.
    package var now: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    package func advance(by duration: Duration) {
        let interval = duration.timeInterval
        current.withLock { $0 = $0.addingTimeInterval(interval) }
    }

    /// Moves the clock forward by `seconds`.
    package func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The clock as the closure stores and validators take.
    package var function: @Sendable () -> Date { { self.now } }
}
