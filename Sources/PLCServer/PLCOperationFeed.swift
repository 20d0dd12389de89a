import Synchronization

/// Wakes `/export/stream` connections when the op store gains operations: each subscriber gets a signal stream that
/// holds at most one pending wake-up, and reads the new operations from the store itself (so a slow subscriber never
/// buffers operations in memory).
package final class PLCOperationFeed: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    /// An empty feed.
    package init() {}

    /// Signals every subscriber that operations were committed.
    func notify() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield() }
    }

    /// Subscribes to wake-ups until the returned stream is dropped or its consumer is cancelled.
    /// - Returns: a stream yielding once per batch of commits (coalesced while unread).
    func subscribe() -> AsyncStream<Void> {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }
}
