extension ActorStore {
    /// The handle cache's counters, for metrics.
    package struct HandleCacheStats: Sendable, Equatable {
        /// Requests served by a handle already open (or opening).
        package var hits: Int
        /// Requests that had to open the store file.
        package var misses: Int
        /// Handles pushed out of the LRU by another actor's handle.
        package var evictions: Int
        /// Handles open now (or opening): opened and not yet closed.
        package var open: Int
        /// The LRU's capacity (idle handles kept open).
        package var capacity: Int
    }

    /// The handle cache's counters now (the first three only grow).
    package var handleCacheStats: HandleCacheStats {
        let counts = handles.counts
        return HandleCacheStats(
            hits: counts.hits, misses: counts.opened, evictions: counts.evicted, open: counts.opened - counts.closed,
            capacity: configuration.handleCacheSize)
    }
}
