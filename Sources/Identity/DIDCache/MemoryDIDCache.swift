import ATCore
import Foundation
import Synchronization

/// An in-memory ``DIDCache`` with the same TTL semantics as ``SQLiteDIDCache``, bounded to ``maxEntries``
/// (the oldest entry is evicted first). For tests and short-lived tools.
package final class MemoryDIDCache: DIDCache {
    /// The TTLs.
    package let ttl: DIDCacheTTL
    /// The largest number of entries kept.
    package let maxEntries: Int
    /// The background refresh service.
    package let refresher: DIDCacheRefresher
    private let entries = Mutex<[DID: (document: DIDDocument, updatedAt: Date)]>([:])
    private let now: @Sendable () -> Date

    /// Creates an empty cache.
    /// - Parameters:
    ///   - ttl: stale and max TTLs.
    ///   - maxEntries: the bound.
    ///   - refresher: the background refresh service.
    ///   - now: the clock.
    package init(
        ttl: DIDCacheTTL = .init(), maxEntries: Int = 10_000, refresher: DIDCacheRefresher = .init(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.ttl = ttl
        self.maxEntries = maxEntries
        self.refresher = refresher
        self.now = now
    }

    package func checkCache(_ did: DID) async throws -> CachedDIDDocument? {
        guard let entry = entries.withLock({ $0[did] }) else { return nil }
        return ttl.entry(did: did, document: entry.document, updatedAt: entry.updatedAt, now: now())
    }

    package func cacheDID(_ did: DID, document: DIDDocument, previous: CachedDIDDocument?) async throws {
        let updatedAt = now()
        entries.withLock { entries in
            if let previous, entries[did]?.updatedAt != previous.updatedAt { return }
            entries[did] = (document, updatedAt)
            if entries.count > maxEntries, let oldest = entries.min(by: { $0.value.updatedAt < $1.value.updatedAt }) {
                entries[oldest.key] = nil
            }
        }
    }

    package func refreshCache(
        _ did: DID, previous: CachedDIDDocument, resolve: @escaping @Sendable () async throws -> DIDDocument?
    ) {
        refresher.enqueue(did) { [self] in
            if let document = try? await resolve() {
                try? await cacheDID(did, document: document, previous: previous)
            }
        }
    }

    package func clearEntry(_ did: DID) async throws { entries.withLock { _ = $0.removeValue(forKey: did) } }

    package func clear() async throws { entries.withLock { $0.removeAll() } }
}
