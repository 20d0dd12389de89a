import ATCore
import ATCrypto
import Crypto
import Foundation

/// A public elliptic-curve JWK (RFC 7517) on one of the curves DPoP proofs and client assertions may use here:
/// P-256 (`ES256`) or secp256k1 (`ES256K`).
package struct ECPublicJWK: Sendable, Equatable, Codable {
    package var kty: String
    package var crv: String
    package var x: String
    package var y: String
    /// Present only in a private JWK, which a proof must never carry.
    package var d: String?
    package var kid: String?
    package var alg: String?

    /// The JWS `alg` this key signs with.
    package var algorithm: String? {
        switch crv {
        case "P-256": "ES256"
        case "secp256k1": "ES256K"
        default: nil
        }
    }

    /// The verifying key.
    /// - Throws: ``CryptoError`` or `DataModelError` for a malformed or private key.
    package func verifyingKey() throws -> any VerifyingKey {
        guard kty == "EC", d == nil else { throw CryptoError.invalidPublicKey }
        let xBytes = try Base64.decodeURL(x, strict: true)
        let yBytes = try Base64.decodeURL(y, strict: true)
        guard xBytes.count == 32, yBytes.count == 32 else { throw CryptoError.invalidPublicKey }
        let point = [0x04] + xBytes + yBytes
        switch crv {
        case "P-256": return try P256VerifyingKey(publicKey: point)
        case "secp256k1": return try Secp256k1VerifyingKey(publicKey: point)
        default: throw CryptoError.invalidPublicKey
        }
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of `{"crv","kty","x","y"}` in that order, no whitespace.
    package var thumbprint: String {
        let canonical = #"{"crv":"\#(crv)","kty":"\#(kty)","x":"\#(x)","y":"\#(y)"}"#
        return Base64.encodeURL(Array(SHA256.hash(data: Array(canonical.utf8))))
    }

    /// Verifies a JWS signature (`r || s`, 64 bytes) over `signingInput`. High-S signatures are normalised first:
    /// JOSE libraries do not produce low-S signatures, and ECDSA accepts both.
    package func verify(signature: [UInt8], signingInput: [UInt8]) -> Bool {
        guard let key = try? verifyingKey(), signature.count == 64 else { return false }
        let normalized = LowS.normalized(signature, order: LowS.order(of: key.algorithm))
        return key.verify(signature: normalized, message: signingInput)
    }
}
