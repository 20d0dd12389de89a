import ATCore

/// The two elliptic curves atproto supports, with their names in each encoding.
///
/// - Note: "k256" is secp256k1 (Bitcoin's curve); "p256" is NIST P-256, also called secp256r1 (note the `r`).
package enum KeyAlgorithm: String, Hashable, Sendable, CaseIterable {
    /// secp256k1, JWT algorithm `ES256K`.
    case secp256k1 = "ES256K"
    /// NIST P-256, JWT algorithm `ES256`.
    case p256 = "ES256"

    /// The JWT `alg` name: `ES256K` or `ES256`.
    package var jwtAlgorithm: String { rawValue }

    /// The multicodec code of the compressed public key (`secp256k1-pub` 0xe7, `p256-pub` 0x1200).
    package var multicodec: UInt64 {
        switch self {
        case .secp256k1: 0xe7
        case .p256: 0x1200
        }
    }

    /// The legacy DID document verification-method `type` whose `publicKeyMultibase` has no multicodec prefix.
    package var legacyDIDDocumentSuite: String {
        switch self {
        case .secp256k1: "EcdsaSecp256k1VerificationKey2019"
        case .p256: "EcdsaSecp256r1VerificationKey2019"
        }
    }

    /// The algorithm with a given multicodec code, if atproto supports it.
    /// - Parameters:
    ///   - multicodec: the varint-decoded multicodec code.
    package init?(multicodec: UInt64) {
        guard let match = Self.allCases.first(where: { $0.multicodec == multicodec }) else { return nil }
        self = match
    }

    /// The public key for compressed or uncompressed SEC1 point bytes on this curve.
    /// - Parameters:
    ///   - bytes: 33-byte compressed or 65-byte uncompressed SEC1 encoding.
    /// - Throws: `CryptoError.invalidPublicKey` when the bytes are not a point on the curve.
    package func verifyingKey(publicKey bytes: [UInt8]) throws(CryptoError) -> any VerifyingKey {
        switch self {
        case .secp256k1: try Secp256k1VerifyingKey(publicKey: bytes)
        case .p256: try P256VerifyingKey(publicKey: bytes)
        }
    }

    /// A new random keypair on this curve.
    package func generateKeypair() -> any Keypair {
        switch self {
        case .secp256k1: Secp256k1Keypair()
        case .p256: P256Keypair()
        }
    }

    /// Imports a raw 32-byte private key on this curve, as exported by `Keypair.exportPrivateKey()`.
    /// - Parameters:
    ///   - privateKey: the big-endian scalar, in `[1, n)`.
    /// - Throws: `CryptoError.invalidPrivateKey` for any other length or an out-of-range scalar.
    package func importKeypair(privateKey: [UInt8]) throws(CryptoError) -> any Keypair {
        switch self {
        case .secp256k1: try Secp256k1Keypair(privateKey: privateKey)
        case .p256: try P256Keypair(privateKey: privateKey)
        }
    }
}
