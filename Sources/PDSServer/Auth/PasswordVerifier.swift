import Synchronization
import ServiceDB

/// Checks login passwords against their stored scrypt hash (on the ``BlockingPool``, see
/// `Password.offloaded(_:)`), counting the verifications run: each costs tens of milliseconds of CPU and 16 MiB,
/// so the count is what rate limits in front of a login must keep small.
package final class PasswordVerifier: Sendable {
    private let count = Atomic<Int>(0)

    /// A verifier with a zero count.
    package init() {}

    /// The scrypt verifications run so far.
    package var verifications: Int { count.load(ordering: .relaxed) }

    /// Whether `password` matches `stored` (`salt:hash`).
    /// - Parameters:
    ///   - password: the password given.
    ///   - stored: the stored form.
    /// - Throws: `ServiceDBError.invalidPasswordHash` when the stored form is malformed.
    package func verify(_ password: String, stored: String) async throws -> Bool {
        count.add(1, ordering: .relaxed)
        return try await Password.offloaded { try Password.verify(password, stored: stored) }
    }
}
