import Foundation

extension Duration {
    /// The duration in seconds, as Foundation's `TimeInterval` (for `Date` arithmetic, sleeps and rates).
    package var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
