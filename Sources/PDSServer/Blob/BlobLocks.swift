import ATCore
import Synchronization

/// Serializes the byte operations on one blob of one actor (moving an upload to permanent storage, deleting the
/// bytes of a blob no row describes any more, quarantine), in this process.
///
/// A blob's row changes in the actor's SQLite transactions, but its bytes move outside them (the blobstore is
/// async, the transaction is not). Each byte operation re-reads the row under this lock before acting, so a
/// deletion ("no row for this CID") can not interleave with a move made for a concurrent upload or record write of
/// the same CID. Waiters are served in arrival order.
package final class BlobLocks: Sendable {
    private struct Key: Hashable {
        var did: DID
        var cid: CID
    }

    /// The held keys, each with the tasks waiting for it.
    private let held = Mutex<[Key: [CheckedContinuation<Void, Never>]]>([:])

    /// An empty set of locks.
    package init() {}

    /// Runs `body` holding the lock of one blob.
    /// - Parameters:
    ///   - did: the actor.
    ///   - cid: the blob.
    ///   - body: the byte operation.
    package func withLock<T>(did: DID, cid: CID, _ body: () async throws -> T) async rethrows -> T {
        let key = Key(did: did, cid: cid)
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: Key) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = held.withLock { held in
                guard held[key] != nil else {
                    held[key] = []
                    return true
                }
                held[key]!.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    private func release(_ key: Key) {
        let next = held.withLock { held -> CheckedContinuation<Void, Never>? in
            guard var waiters = held[key], !waiters.isEmpty else {
                held[key] = nil
                return nil
            }
            let first = waiters.removeFirst()
            held[key] = waiters
            return first
        }
        next?.resume()
    }
}
