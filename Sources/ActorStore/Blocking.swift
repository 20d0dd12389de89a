import ATCore

/// Runs blocking work (file-system calls, opening or closing SQLite) on the shared ``BlockingPool`` rather than on the
/// cooperative pool, whose threads must never block.
/// - Parameters:
///   - work: the blocking work.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await BlockingPool.shared.run(work)
}
