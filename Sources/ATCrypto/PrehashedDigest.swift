import Crypto
import Foundation

/// A 32-byte digest computed elsewhere, so swift-crypto's P-256 can sign and verify a given SHA-256 digest.
///
/// swift-crypto's `signature(for:)` and `isValidSignature(_:for:)` take any `Digest` and read only its
/// bytes; its own `SHA256Digest` cannot be built from bytes, hence this small wrapper.
struct PrehashedDigest: Digest {
    /// SHA-256 digests are 32 bytes.
    static var byteCount: Int { 32 }

    /// The digest bytes; callers ensure there are 32.
    let bytes: [UInt8]

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }

    var description: String { "PrehashedDigest(\(bytes.count) bytes)" }
}
