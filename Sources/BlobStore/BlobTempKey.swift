import Crypto

/// The key of a temporary upload: lowercase RFC 4648 base32 (`a-z`, `2-7`), 32 characters when generated here.
///
/// It is one of the two strings (with a CID) that become file names and object keys, so it can only be built by
/// validation or generation. Lengths 16 to 64 are accepted so that keys written by the TypeScript PDS (32 random
/// bytes, 52 characters) stay readable.
package struct BlobTempKey: Hashable, Sendable, CustomStringConvertible {
    /// The key as stored in the `blob.tempKey` column.
    package let rawValue: String

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// Validates a stored key.
    /// - Parameters:
    ///   - string: the key.
    /// - Throws: ``BlobStoreError/invalidTempKey`` unless it is 16–64 lowercase base32 characters.
    package init(_ string: some StringProtocol) throws(BlobStoreError) {
        let utf8 = string.utf8
        guard (16...64).contains(utf8.count),
            utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x32...0x37).contains($0) })
        else { throw .invalidTempKey }
        self.rawValue = String(string)
    }

    private init(unchecked rawValue: String) { self.rawValue = rawValue }

    /// A fresh random key: 32 base32 characters (160 bits).
    package static func random() -> BlobTempKey {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt8(32)))] }
        return BlobTempKey(unchecked: String(decoding: characters, as: UTF8.self))
    }

    /// The key.
    package var description: String { rawValue }
}
