import ATCore
import Foundation

/// A cached DID document and how old it is.
package struct CachedDIDDocument: Sendable, Equatable {
    /// The DID.
    package var did: DID
    /// The document.
    package var document: DIDDocument
    /// When it was resolved.
    package var updatedAt: Date
    /// Older than the stale TTL: serve it, but refresh in the background.
    package var stale: Bool
    /// Older than the max TTL: resolve again before answering.
    package var expired: Bool
}

/// A store of resolved DID documents with stale and max TTLs (`did_cache.sqlite` in the reference PDS).
///
/// Implementations: ``SQLiteDIDCache`` (production) and ``MemoryDIDCache`` (tests, tools).
package protocol DIDCache: Sendable {
    /// The cached entry for `did`, with its staleness, or `nil`.
    /// - Parameters:
    ///   - did: the DID.
    func checkCache(_ did: DID) async throws -> CachedDIDDocument?

    /// Stores a freshly resolved document.
    /// - Parameters:
    ///   - did: the DID.
    ///   - document: the document.
    ///   - previous: the entry this resolution replaces, if it was read first; a background refresh only writes
    ///     when the row still has that entry's `updatedAt`, so it never overwrites a newer result.
    func cacheDID(_ did: DID, document: DIDDocument, previous: CachedDIDDocument?) async throws

    /// Schedules a background refresh of a stale entry; concurrent requests for one DID are coalesced.
    /// - Parameters:
    ///   - did: the DID.
    ///   - previous: the stale entry being refreshed.
    ///   - resolve: resolves the DID without the cache (`nil` when it no longer exists).
    func refreshCache(
        _ did: DID, previous: CachedDIDDocument, resolve: @escaping @Sendable () async throws -> DIDDocument?)

    /// Removes the entry for `did`.
    /// - Parameters:
    ///   - did: the DID.
    func clearEntry(_ did: DID) async throws

    /// Removes every entry.
    func clear() async throws
}

/// Stale and max TTLs.
package struct DIDCacheTTL: Sendable, Equatable {
    /// After this, entries are served stale and refreshed in the background (`PDS_DID_CACHE_STALE_TTL`, 1 h).
    package var stale: Duration
    /// After this, entries are resolved again before answering (`PDS_DID_CACHE_MAX_TTL`, 1 day).
    package var max: Duration

    /// Creates TTLs.
    /// - Parameters:
    ///   - stale: the stale TTL.
    ///   - max: the max TTL.
    package init(stale: Duration = .seconds(3600), max: Duration = .seconds(86_400)) {
        self.stale = stale
        self.max = max
    }

    /// Classifies an entry written at `updatedAt`.
    func entry(did: DID, document: DIDDocument, updatedAt: Date, now: Date) -> CachedDIDDocument {
        let age = now.timeIntervalSince(updatedAt)
        return CachedDIDDocument(
            did: did, document: document, updatedAt: updatedAt,
            stale: age > stale.timeInterval, expired: age > max.timeInterval)
    }
}
