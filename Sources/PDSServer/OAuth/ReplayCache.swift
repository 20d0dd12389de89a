import Foundation
import Synchronization

/// Remembers one-time values (DPoP proof `jti`s, client assertion `jti`s) for as long as they could be presented
/// again, and says whether a value was seen before. In memory, as the reference's default `ReplayStoreMemory`: a
/// restart forgets, which the DPoP `iat` window bounds to a few minutes.
package final class ReplayCache: Sendable {
    private struct State {
        var expiries: [String: Date] = [:]
        var nextSweep = Date.distantPast
    }

    private let state = Mutex(State())
    /// The most values held; beyond it the oldest half is dropped (a flood must not grow memory without bound).
    let capacity: Int

    /// - Parameters:
    ///   - capacity: the most values held at once.
    package init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// Records `value` until `expiresAt`; `false` when it was already recorded and has not expired (a replay).
    package func isUnique(_ value: String, expiresAt: Date, now: Date) -> Bool {
        state.withLock { state in
            if now >= state.nextSweep || state.expiries.count >= capacity {
                state.expiries = state.expiries.filter { $0.value > now }
                if state.expiries.count >= capacity {
                    let sorted = state.expiries.sorted { $0.value < $1.value }
                    state.expiries = Dictionary(
                        uniqueKeysWithValues: sorted.suffix(capacity / 2).map { ($0.key, $0.value) })
                }
                state.nextSweep = now.addingTimeInterval(30)
            }
            if let seen = state.expiries[value], seen > now { return false }
            state.expiries[value] = expiresAt
            return true
        }
    }
}
