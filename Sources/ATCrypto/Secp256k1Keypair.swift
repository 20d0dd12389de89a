import ATCore
import CSecp256k1

/// A secp256k1 (`ES256K`) signing key, backed by libsecp256k1. The default key type for atproto accounts.
package struct Secp256k1Keypair: Keypair {
    /// The raw 32-byte private scalar, in `[1, n)`.
    private let privateKey: [UInt8]

    /// The public half.
    package let publicKey: Secp256k1VerifyingKey

    /// Generates a new random key.
    package init() {
        var rng = SystemRandomNumberGenerator()
        while true {
            var candidate = [UInt8](repeating: 0, count: 32)
            for i in candidate.indices { candidate[i] = rng.next() }
            // Rejects the (astronomically unlikely) zero or ≥ n scalars.
            if let keypair = try? Self(privateKey: candidate) {
                self = keypair
                return
            }
        }
    }

    /// Imports a raw 32-byte big-endian private key.
    /// - Parameters:
    ///   - privateKey: the scalar, which must be in `[1, n)`.
    /// - Throws: `CryptoError.invalidPrivateKey` for any other length or an out-of-range scalar.
    package init(privateKey: [UInt8]) throws(CryptoError) {
        let context = Secp256k1Context.shared
        guard privateKey.count == 32, secp256k1_ec_seckey_verify(context, privateKey) == 1 else {
            throw .invalidPrivateKey
        }
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(context, &pubkey, privateKey) == 1 else { throw .invalidPrivateKey }
        self.privateKey = privateKey
        self.publicKey = Secp256k1VerifyingKey(parsed: pubkey)
    }

    /// Signs a 32-byte digest deterministically (RFC 6979).
    /// - Parameters:
    ///   - digest: the SHA-256 digest of the message.
    /// - Returns: 64 bytes of low-S `r || s`.
    /// - Throws: `CryptoError.invalidDigest` when `digest` is not 32 bytes.
    package func sign(digest: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard digest.count == 32 else { throw .invalidDigest }
        let context = Secp256k1Context.shared
        var signature = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_sign(context, &signature, digest, privateKey, nil, nil) == 1 else {
            throw .signingFailed
        }
        // libsecp256k1 already signs low-S; normalising is a cheap guarantee of the atproto rule.
        var lowS = secp256k1_ecdsa_signature()
        _ = secp256k1_ecdsa_signature_normalize(context, &lowS, &signature)
        var output = [UInt8](repeating: 0, count: 64)
        _ = secp256k1_ecdsa_signature_serialize_compact(context, &output, &lowS)
        return output
    }

    /// The raw 32-byte big-endian private scalar.
    package func exportPrivateKey() -> [UInt8] { privateKey }
}
