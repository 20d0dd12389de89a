import Dispatch

/// Runs blocking work (file-system calls, opening or closing SQLite) on a Dispatch thread rather than on the
/// cooperative pool, whose threads must never block.
/// - Parameters:
///   - work: the blocking work.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try work() })
        }
    }
}
