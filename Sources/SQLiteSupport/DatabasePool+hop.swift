import GRDB

extension DatabasePool {
    /// Runs `body` in a read transaction on one of the pool's reader queues and resumes the caller with its value.
    ///
    /// One queue hop each way through GRDB's callback API (`asyncRead`): about twice the throughput of GRDB's `async`
    /// `read`, which hops through two actor executors, and no thread blocked while waiting for a reader. This is how
    /// async code reaches the service databases (the actor store does the same through its handles).
    /// - Parameters:
    ///   - body: synchronous work on the connection.
    package func hoppingRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            asyncRead { database in continuation.resume(with: Result { try body(database.get()) }) }
        }
    }

    /// Runs `body` in a write transaction (`IMMEDIATE`) on the writer queue and resumes the caller with its value,
    /// with the same single hop as ``hoppingRead(_:)``.
    /// - Parameters:
    ///   - body: synchronous work on the connection; it commits when `body` returns and rolls back when it throws.
    package func hoppingWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            asyncWriteWithoutTransaction { db in
                continuation.resume(
                    with: Result {
                        var result: T?
                        try db.inTransaction(.immediate) {
                            result = try body(db)
                            return .commit
                        }
                        return result!
                    })
            }
        }
    }
}
