import ATCore

/// A public key that can verify atproto signatures.
///
/// atproto signatures are ECDSA over the SHA-256 digest of the message, serialised as 64 bytes of
/// compact big-endian `r || s`, and must be low-S. DER signatures and high-S signatures are invalid.
package protocol VerifyingKey: Sendable, CustomStringConvertible {
    /// The curve this key is on.
    var algorithm: KeyAlgorithm { get }

    /// The 33-byte SEC1 compressed public key.
    var compressedPublicKey: [UInt8] { get }

    /// Verifies a compact low-S signature over an already-hashed 32-byte digest.
    /// - Parameters:
    ///   - signature: 64 bytes of `r || s`.
    ///   - digest: the SHA-256 digest of the message.
    /// - Returns: `true` only for a well-formed, low-S, valid signature; any malformed input gives `false`.
    func verify(signature: [UInt8], digest: [UInt8]) -> Bool
}

extension VerifyingKey {
    /// The JWT `alg` name: `ES256K` or `ES256`.
    package var jwtAlgorithm: String { algorithm.jwtAlgorithm }

    /// The key as `did:key:z…`.
    package var did: String { formatDIDKey(algorithm: algorithm, compressedPublicKey: compressedPublicKey) }

    /// The key as a multikey (`z…` with the multicodec prefix), as in a DID document's `Multikey` method.
    package var multikey: String { formatMultikey(algorithm: algorithm, compressedPublicKey: compressedPublicKey) }

    /// Verifies a compact low-S signature over `message`, which is hashed with SHA-256 first.
    /// - Parameters:
    ///   - signature: 64 bytes of `r || s`.
    ///   - message: the signed bytes.
    package func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        verify(signature: signature, digest: sha256(message))
    }

    /// The `did:key`, so keys never print as raw bytes.
    package var description: String { did }
}

/// A private key that produces atproto signatures.
///
/// Signatures are 64-byte compact `r || s`, always low-S, over the SHA-256 digest of the message.
package protocol Keypair: Sendable, CustomStringConvertible {
    /// The matching public key type.
    associatedtype PublicKey: VerifyingKey

    /// The public half of the keypair.
    var publicKey: PublicKey { get }

    /// Signs an already-hashed 32-byte digest.
    /// - Parameters:
    ///   - digest: the SHA-256 digest of the message.
    /// - Returns: 64 bytes of low-S `r || s`.
    /// - Throws: `CryptoError.invalidDigest` when `digest` is not 32 bytes.
    func sign(digest: [UInt8]) throws -> [UInt8]

    /// The raw 32-byte big-endian private scalar. Handle with care: it is the account's signing key.
    func exportPrivateKey() -> [UInt8]
}

extension Keypair {
    /// The curve of this keypair.
    package var algorithm: KeyAlgorithm { publicKey.algorithm }

    /// The JWT `alg` name: `ES256K` or `ES256`.
    package var jwtAlgorithm: String { publicKey.jwtAlgorithm }

    /// The public key as `did:key:z…`.
    package var did: String { publicKey.did }

    /// Signs `message`, hashing it with SHA-256 first.
    /// - Parameters:
    ///   - message: the bytes to sign.
    /// - Returns: 64 bytes of low-S `r || s`.
    package func sign(_ message: [UInt8]) throws -> [UInt8] {
        try sign(digest: sha256(message))
    }

    /// Shows only the public `did:key`, never the private key.
    package var description: String { "\(Self.self)(\(did))" }
}
