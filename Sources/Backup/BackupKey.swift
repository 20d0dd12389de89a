import ATCore
import Crypto
import Foundation

/// The backup encryption key (`PDS_BACKUP_ENCRYPTION_KEY`): 32 bytes written as 64 hex digits
/// (`openssl rand -hex 32`), used with AES-256-GCM.
///
/// Its ``id`` (a hash of the key, not the key) is written in every object's header, so that a restore with another
/// key is refused with "wrong key" before anything is decrypted or written.
package struct BackupKey: Sendable {
    /// The AES-256 key.
    let symmetric: SymmetricKey
    /// The key's id: the first 8 bytes of SHA-256 over a label and the key, in hex.
    package let id: String

    /// Parses the key.
    /// - Parameters:
    ///   - hex: 64 hex digits.
    /// - Throws: ``BackupError/invalidKey``.
    package init(hex: String) throws(BackupError) {
        let trimmed = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count == 64, let bytes = try? Hex.decode(trimmed) else { throw .invalidKey }
        self.init(bytes: bytes)
    }

    /// A key from its 32 bytes.
    package init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "an AES-256 key is 32 bytes")
        symmetric = SymmetricKey(data: bytes)
        id = Hex.encode(sha256(Array("pds-backup-key-id:".utf8) + bytes).prefix(8))
    }
}
