import ATCore

// MARK: - did:key and multikey encoding
//
// A did:key is `did:key:` + a multikey; a multikey is `z` + base58btc(varint(multicodec) || compressed point),
// with multicodec 0xe7 (secp256k1-pub) or 0x1200 (p256-pub). Legacy DID documents
// (`EcdsaSecp256k1VerificationKey2019`, `EcdsaSecp256r1VerificationKey2019`) carry the bare point as
// `z` + base58btc, without the multicodec prefix.

/// The `did:key:` method prefix.
package let didKeyPrefix = "did:key:"

/// The longest multibase key string accepted, far above the ~50 characters of a real one (a guard
/// against quadratic base58 decoding of hostile input).
private let maxMultibaseLength = 256

/// Formats a public key as a multikey: `z` + base58btc(varint(multicodec) || key).
/// - Parameters:
///   - algorithm: the curve, which selects the multicodec.
///   - compressedPublicKey: the 33-byte compressed point.
package func formatMultikey(algorithm: KeyAlgorithm, compressedPublicKey: [UInt8]) -> String {
    var bytes = Varint.encode(algorithm.multicodec)
    bytes.append(contentsOf: compressedPublicKey)
    return "z" + Multibase.base58Encode(bytes)
}

/// Formats a public key as `did:key:z…`.
/// - Parameters:
///   - algorithm: the curve, which selects the multicodec.
///   - compressedPublicKey: the 33-byte compressed point.
package func formatDIDKey(algorithm: KeyAlgorithm, compressedPublicKey: [UInt8]) -> String {
    didKeyPrefix + formatMultikey(algorithm: algorithm, compressedPublicKey: compressedPublicKey)
}

/// Parses a `did:key:z…` into a verifying key.
/// - Parameters:
///   - did: the `did:key` string.
/// - Returns: a `Secp256k1VerifyingKey` or a `P256VerifyingKey`.
/// - Throws: `CryptoError.invalidDIDKey` when malformed, `.unsupportedKeyType` for another multicodec,
///   `.invalidPublicKey` when the point is not on the curve.
package func parseDIDKey(_ did: String) throws(CryptoError) -> any VerifyingKey {
    guard did.hasPrefix(didKeyPrefix) else { throw .invalidDIDKey("missing did:key: prefix") }
    return try parseMultikey(String(did.dropFirst(didKeyPrefix.count)))
}

/// Parses a multikey (`z` + base58btc with a multicodec prefix), as in a DID document's `Multikey`
/// verification method or the body of a `did:key`.
/// - Parameters:
///   - multikey: the multibase string.
/// - Returns: a `Secp256k1VerifyingKey` or a `P256VerifyingKey`. Compressed points are canonical;
///   65-byte uncompressed points are accepted too, and re-encode compressed.
/// - Throws: `CryptoError.invalidDIDKey` when malformed, `.unsupportedKeyType` for another multicodec,
///   `.invalidPublicKey` when the point is not on the curve.
package func parseMultikey(_ multikey: String) throws(CryptoError) -> any VerifyingKey {
    let bytes = try decodeBase58Multibase(multikey)
    let codec: UInt64
    let length: Int
    do {
        (codec, length) = try Varint.decode(bytes)
    } catch {
        throw .invalidDIDKey("invalid multicodec varint")
    }
    guard let algorithm = KeyAlgorithm(multicodec: codec) else {
        throw .unsupportedKeyType("multicodec 0x\(String(codec, radix: 16))")
    }
    return try algorithm.verifyingKey(publicKey: Array(bytes[length...]))
}

/// Parses the key of a DID document verification method from its `type` and `publicKeyMultibase`.
///
/// `Multikey` values carry a multicodec prefix; the legacy `EcdsaSecp256k1VerificationKey2019` and
/// `EcdsaSecp256r1VerificationKey2019` values are the bare point, whose curve is given by the type.
/// - Parameters:
///   - type: the verification method `type`.
///   - publicKeyMultibase: the `publicKeyMultibase` value.
/// - Throws: `CryptoError.unsupportedKeyType` for another `type`, otherwise as `parseMultikey(_:)`.
package func parseDIDDocumentKey(type: String, publicKeyMultibase: String) throws(CryptoError) -> any VerifyingKey {
    if type == "Multikey" {
        return try parseMultikey(publicKeyMultibase)
    }
    guard let algorithm = KeyAlgorithm.allCases.first(where: { $0.legacyDIDDocumentSuite == type }) else {
        throw .unsupportedKeyType(type)
    }
    return try algorithm.verifyingKey(publicKey: decodeBase58Multibase(publicKeyMultibase))
}

/// The bytes of a `z` (base58btc) multibase string of bounded length.
private func decodeBase58Multibase(_ string: String) throws(CryptoError) -> [UInt8] {
    guard string.utf8.count <= maxMultibaseLength else { throw .invalidDIDKey("too long") }
    guard string.hasPrefix("z") else { throw .invalidDIDKey("expected base58btc multibase ('z' prefix)") }
    do {
        return try Multibase.base58Decode(string.dropFirst())
    } catch {
        throw .invalidDIDKey("invalid base58btc")
    }
}
