import ATCore
import CSecp256k1

/// A secp256k1 (`ES256K`) public key, verifying with libsecp256k1.
package struct Secp256k1VerifyingKey: VerifyingKey, Hashable {
    /// Always `.secp256k1`.
    package var algorithm: KeyAlgorithm { .secp256k1 }

    /// The 33-byte SEC1 compressed public key.
    package let compressedPublicKey: [UInt8]

    /// The parsed point in libsecp256k1's in-memory form, so verification skips decompression.
    private let parsed: secp256k1_pubkey

    /// Parses a compressed (33-byte) or uncompressed (65-byte) SEC1 public key.
    /// - Parameters:
    ///   - bytes: the SEC1 point encoding.
    /// - Throws: `CryptoError.invalidPublicKey` for any other length or a point not on the curve.
    package init(publicKey bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 33 || bytes.count == 65 else { throw .invalidPublicKey }
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared, &pubkey, bytes, bytes.count) == 1 else {
            throw .invalidPublicKey
        }
        self.init(parsed: pubkey)
    }

    /// Wraps an already-valid libsecp256k1 public key.
    init(parsed: secp256k1_pubkey) {
        var pubkey = parsed
        var output = [UInt8](repeating: 0, count: 33)
        var length = output.count
        let ok = secp256k1_ec_pubkey_serialize(
            Secp256k1Context.shared, &output, &length, &pubkey, UInt32(SECP256K1_EC_COMPRESSED))
        // Serialising a parsed key into a 33-byte buffer cannot fail (libsecp256k1 always returns 1).
        assert(ok == 1 && length == 33)
        self.parsed = pubkey
        self.compressedPublicKey = output
    }

    /// The 65-byte SEC1 uncompressed public key (`04 || x || y`).
    package var uncompressedPublicKey: [UInt8] {
        var pubkey = parsed
        var output = [UInt8](repeating: 0, count: 65)
        var length = output.count
        _ = secp256k1_ec_pubkey_serialize(
            Secp256k1Context.shared, &output, &length, &pubkey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return output
    }

    /// Verifies a 64-byte compact, low-S signature over a 32-byte digest; DER and high-S are rejected.
    /// - Parameters:
    ///   - signature: 64 bytes of `r || s`.
    ///   - digest: the SHA-256 digest of the message.
    package func verify(signature: [UInt8], digest: [UInt8]) -> Bool {
        guard signature.count == 64, digest.count == 32 else { return false }
        let context = Secp256k1Context.shared
        var sig = secp256k1_ecdsa_signature()
        // Fails when r or s overflows the group order.
        guard secp256k1_ecdsa_signature_parse_compact(context, &sig, signature) == 1 else { return false }
        // Returns 1 when the input was high-S, which atproto forbids; verify would reject it anyway,
        // but checking explicitly keeps the rule visible and independent of the library version.
        var normalized = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_signature_normalize(context, &normalized, &sig) == 0 else { return false }
        var pubkey = parsed
        return secp256k1_ecdsa_verify(context, &sig, digest, &pubkey) == 1
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
