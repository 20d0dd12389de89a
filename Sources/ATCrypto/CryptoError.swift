import ATCore

/// Errors from key handling, signing and did:key parsing.
package enum CryptoError: Error, Equatable, Sendable {
    /// The private key bytes are not a valid scalar for the curve (wrong length, zero, or not below the order).
    case invalidPrivateKey
    /// The public key bytes are not a valid point encoding for the curve.
    case invalidPublicKey
    /// The signature is malformed (for example not 64 bytes of compact `r || s`).
    case invalidSignature
    /// A digest to sign was not 32 bytes long.
    case invalidDigest
    /// The backend failed to produce a signature.
    case signingFailed
    /// A `did:key`, multikey or `publicKeyMultibase` string could not be parsed; the payload says why.
    case invalidDIDKey(String)
    /// The key's multicodec or verification-method type is not one atproto supports.
    case unsupportedKeyType(String)
}
