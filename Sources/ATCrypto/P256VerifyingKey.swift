import ATCore
import Crypto

/// A NIST P-256 (`ES256`) public key, verifying with swift-crypto.
package struct P256VerifyingKey: VerifyingKey, Hashable {
    /// Always `.p256`.
    package var algorithm: KeyAlgorithm { .p256 }

    /// The 33-byte SEC1 compressed public key.
    package let compressedPublicKey: [UInt8]

    /// The swift-crypto key.
    let key: P256.Signing.PublicKey

    /// Parses a compressed (33-byte) or uncompressed (65-byte) SEC1 public key.
    /// - Parameters:
    ///   - bytes: the SEC1 point encoding.
    /// - Throws: `CryptoError.invalidPublicKey` for any other length or a point not on the curve.
    package init(publicKey bytes: [UInt8]) throws(CryptoError) {
        let key: P256.Signing.PublicKey
        switch (bytes.count, bytes.first) {
        case (33, 0x02), (33, 0x03):
            guard let parsed = try? P256.Signing.PublicKey(compressedRepresentation: bytes) else {
                throw .invalidPublicKey
            }
            key = parsed
        case (65, 0x04):
            guard let parsed = try? P256.Signing.PublicKey(x963Representation: bytes) else {
                throw .invalidPublicKey
            }
            key = parsed
        default:
            throw .invalidPublicKey
        }
        self.init(key: key)
    }

    /// Wraps a swift-crypto public key.
    init(key: P256.Signing.PublicKey) {
        self.key = key
        self.compressedPublicKey = Array(key.compressedRepresentation)
    }

    /// The 65-byte SEC1 uncompressed public key (`04 || x || y`).
    package var uncompressedPublicKey: [UInt8] { Array(key.x963Representation) }

    /// Verifies a 64-byte compact, low-S signature over a 32-byte digest; DER and high-S are rejected.
    ///
    /// swift-crypto accepts high-S signatures, so the low-S rule is checked here first.
    /// - Parameters:
    ///   - signature: 64 bytes of `r || s`.
    ///   - digest: the SHA-256 digest of the message.
    package func verify(signature: [UInt8], digest: [UInt8]) -> Bool {
        guard signature.count == 64, digest.count == 32 else { return false }
        guard !LowS.isHighS(signature, order: LowS.p256Order) else { return false }
        guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
        return key.isValidSignature(parsed, for: PrehashedDigest(bytes: digest))
    }

    // MARK: - Hashable (by the public key bytes)

    /// Keys are equal when their compressed encodings are.
    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.compressedPublicKey == rhs.compressedPublicKey
    }

    /// Hashes the compressed encoding.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(compressedPublicKey)
    }
}
