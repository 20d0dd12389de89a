import ATCore
import Foundation
import Synchronization

/// The counters of one ``RateLimit``: a fixed window per key that starts with the key's first request, as the
/// reference's in-memory limiter (`rate-limiter-flexible`) keeps them.
///
/// Memory is bounded: expired windows are dropped as time passes, and at most `maxKeys` keys are tracked; when that
/// many are live, the oldest window is forgotten to make room (an attacker rotating keys can only make old keys start
/// afresh, never grow the table). Keys longer than 64 bytes are kept as their SHA-256, so a key's size is bounded too.
/// Thread-safe: one short critical section per consumption.
package final class RateLimiter: Sendable {
    /// The limit counted.
    package let limit: RateLimit
    /// The most keys tracked at once.
    package let maxKeys: Int
    private let now: @Sendable () -> Date
    private let windows: Mutex<Windows>

    /// The default bound on tracked keys per limit (about 10–20 MB at most, reached only under a key-rotating flood).
    package static let defaultMaxKeys = 100_000

    /// Counters for `limit`.
    /// - Parameters:
    ///   - limit: the limit.
    ///   - maxKeys: the most keys tracked at once.
    ///   - now: the wall clock.
    package init(_ limit: RateLimit, maxKeys: Int = RateLimiter.defaultMaxKeys, now: @escaping @Sendable () -> Date) {
        self.limit = limit
        self.maxKeys = max(maxKeys, 1)
        self.now = now
        self.windows = Mutex(Windows())
    }

    /// Spends `points` for `key` and tells where the key stands; points are counted even when the limit is exceeded,
    /// as the reference does.
    /// - Parameters:
    ///   - key: who is counted (an IP, a DID, `identifier-ip`).
    ///   - points: the request's cost.
    package func consume(_ key: String, points: Int = 1) -> RateLimitStatus {
        let stored = key.utf8.count > 64 ? Hex.encode(sha256(Array(key.utf8))) : key
        let instant = now()
        let window = windows.withLock {
            $0.consume(
                stored, points: points, now: instant, duration: TimeInterval(limit.seconds), maxKeys: maxKeys)
        }
        return RateLimitStatus(limit: limit, consumed: window.consumed, resetAt: window.resetAt)
    }

    /// How many keys are tracked (live windows, and expired ones not yet dropped).
    package var trackedKeys: Int { windows.withLock { $0.byKey.count } }
}

/// The windows of one limiter: a table by key, and the keys in the order their windows end (which is the order they
/// started, all windows being as long), so expired and oldest windows are found from the front.
struct Windows {
    /// One key's window.
    struct Window {
        var consumed: Int
        var resetAt: Date
    }

    /// A window's place in the expiry order; stale when its key's window has since been replaced.
    struct Expiry {
        var key: String
        var resetAt: Date
    }

    private(set) var byKey: [String: Window] = [:]
    private var order: [Expiry] = []
    private var head = 0

    /// Adds `points` to `key`'s live window, or starts a new one.
    mutating func consume(_ key: String, points: Int, now: Date, duration: TimeInterval, maxKeys: Int) -> Window {
        dropExpired(now: now)
        if var window = byKey[key], window.resetAt > now {
            window.consumed += points
            byKey[key] = window
            return window
        }
        if byKey[key] == nil {
            while byKey.count >= maxKeys, dropOldest() {}
        }
        let window = Window(consumed: points, resetAt: now.addingTimeInterval(duration))
        byKey[key] = window
        order.append(Expiry(key: key, resetAt: window.resetAt))
        compactIfNeeded(maxKeys: maxKeys)
        return window
    }

    /// Drops the windows that ended by `now`, from the front of the expiry order.
    private mutating func dropExpired(now: Date) {
        while head < order.count, order[head].resetAt <= now {
            removeIfCurrent(order[head])
            head += 1
        }
    }

    /// Drops the oldest live window; `false` when there is none.
    private mutating func dropOldest() -> Bool {
        while head < order.count {
            let entry = order[head]
            head += 1
            if removeIfCurrent(entry) { return true }
        }
        return false
    }

    /// Removes `entry`'s key if its window is still the one `entry` recorded.
    @discardableResult
    private mutating func removeIfCurrent(_ entry: Expiry) -> Bool {
        guard byKey[entry.key]?.resetAt == entry.resetAt else { return false }
        byKey[entry.key] = nil
        return true
    }

    /// Reclaims the consumed front of the order, and rebuilds it when stale entries pile up (only possible when the
    /// wall clock steps back, so that a window is replaced before its entry reaches the front).
    private mutating func compactIfNeeded(maxKeys: Int) {
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        if order.count - head > 2 * maxKeys + 1024 {
            order = byKey.map { Expiry(key: $0.key, resetAt: $0.value.resetAt) }.sorted { $0.resetAt < $1.resetAt }
            head = 0
        }
    }
}
