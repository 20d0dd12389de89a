import ATCore
import CryptoExtras
import Foundation

/// Password hashing compatible with the reference PDS, so existing passwords keep working after a switch.
///
/// The reference uses Node's `crypto.scrypt` defaults (N = 16384, r = 8, p = 1) with a 64-byte key. Account
/// passwords get a random 16-byte salt, written as 32 hex characters and used *as text*; the stored form is
/// `<salt hex>:<hash hex>`. App passwords use the deterministic salt `Hex.encode(sha256(did)[0..<16])`.
package enum Password {
    static let rounds = 16_384
    static let blockSize = 8
    static let parallelism = 1
    static let keyLength = 64

    /// Hashes a new account password with a random salt.
    /// - Returns: the stored form, `salt:hash`.
    package static func hash(_ password: String) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = rng.next() }
        return try hash(password, salt: Hex.encode(salt))
    }

    /// Hashes a password with the given salt text.
    /// - Returns: the stored form, `salt:hash`.
    package static func hash(_ password: String, salt: String) throws -> String {
        salt + ":" + Hex.encode(try derive(password, salt: salt))
    }

    /// Hashes an app password with the deterministic per-DID salt of the reference.
    package static func hashAppPassword(_ password: String, did: DID) throws -> String {
        try hash(password, salt: Hex.encode(sha256(Array(did.rawValue.utf8)).prefix(16)))
    }

    /// Checks a password against a stored `salt:hash`, in constant time over the hash.
    /// - Throws: `ServiceDBError.invalidPasswordHash` when the stored form is malformed.
    package static func verify(_ password: String, stored: String) throws -> Bool {
        let parts = stored.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].utf8.count == keyLength * 2 else { throw ServiceDBError.invalidPasswordHash }
        let expected = Array(parts[1].utf8)
        let actual = Array(Hex.encode(try derive(password, salt: String(parts[0]))).utf8)
        var difference: UInt8 = 0
        for (a, b) in zip(expected, actual) { difference |= a ^ b }
        return difference == 0
    }

    /// Runs `body` (a hash or a verification: tens of milliseconds of CPU and 16 MiB) on the shared ``BlockingPool``
    /// as CPU-bound work (at most one per core at once), so a burst of logins neither stalls the other requests' tasks
    /// nor takes unbounded memory, nor every thread of the pool.
    /// - Parameters:
    ///   - body: the work, for example `{ try Password.verify(password, stored: stored) }`.
    package static func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingPool.shared.runCPUBound(body)
    }

    static func derive(_ password: String, salt: String) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8),
            salt: Array(salt.utf8),
            outputByteCount: keyLength,
            rounds: rounds,
            blockSize: blockSize,
            parallelism: parallelism
        )
        return key.withUnsafeBytes { Array($0) }
    }
}
