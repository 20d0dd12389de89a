import ATCore

/// Errors from key handling, signing and did:key parsing.
package enum CryptoError: Error, Equatable, Sendable {
    case invalidPrivateKey
    case invalidPublicKey
    case invalidSignature
    case invalidDIDKey(String)
    case unsupportedKeyType(String)
}
