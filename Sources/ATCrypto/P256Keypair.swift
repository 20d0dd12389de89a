import ATCore
import Crypto

/// A NIST P-256 (`ES256`) signing key, backed by swift-crypto.
package struct P256Keypair: Keypair {
    /// The swift-crypto private key.
    private let key: P256.Signing.PrivateKey

    /// The public half.
    package let publicKey: P256VerifyingKey

    /// Generates a new random key.
    package init() {
        self.init(key: P256.Signing.PrivateKey())
    }

    /// Imports a raw 32-byte big-endian private key.
    /// - Parameters:
    ///   - privateKey: the scalar, which must be in `[1, n)`.
    /// - Throws: `CryptoError.invalidPrivateKey` for any other length or an out-of-range scalar.
    package init(privateKey: [UInt8]) throws(CryptoError) {
        guard privateKey.count == 32,
            let key = try? P256.Signing.PrivateKey(rawRepresentation: privateKey)
        else { throw .invalidPrivateKey }
        self.init(key: key)
    }

    private init(key: P256.Signing.PrivateKey) {
        self.key = key
        self.publicKey = P256VerifyingKey(key: key.publicKey)
    }

    /// Signs a 32-byte digest (randomised nonce) and normalises the result to low-S.
    ///
    /// swift-crypto returns a high-S signature about half the time; atproto requires low-S.
    /// - Parameters:
    ///   - digest: the SHA-256 digest of the message.
    /// - Returns: 64 bytes of low-S `r || s`.
    /// - Throws: `CryptoError.invalidDigest` when `digest` is not 32 bytes.
    package func sign(digest: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard digest.count == 32 else { throw .invalidDigest }
        guard let signature = try? key.signature(for: PrehashedDigest(bytes: digest)) else {
            throw .signingFailed
        }
        let raw = Array(signature.rawRepresentation)
        guard raw.count == 64 else { throw .signingFailed }
        return LowS.normalized(raw, order: LowS.p256Order)
    }

    /// The raw 32-byte big-endian private scalar.
    package func exportPrivateKey() -> [UInt8] { Array(key.rawRepresentation) }
}
