import ATCore

/// Low-S rules for 64-byte compact ECDSA signatures (`r || s`, each 32 bytes big-endian).
///
/// For any valid signature `(r, s)`, `(r, n - s)` is valid too. atproto accepts only the form with
/// `s <= n / 2` so that every signature has exactly one encoding.
package enum LowS {
    /// The order `n` of the secp256k1 group.
    package static let secp256k1Order: [UInt8] = try! Hex.decode(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")

    /// The order `n` of the NIST P-256 group.
    package static let p256Order: [UInt8] = try! Hex.decode(
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")

    /// The group order of `algorithm`'s curve.
    /// - Parameters:
    ///   - algorithm: the curve.
    package static func order(of algorithm: KeyAlgorithm) -> [UInt8] {
        switch algorithm {
        case .secp256k1: secp256k1Order
        case .p256: p256Order
        }
    }

    /// Whether the `s` half of a 64-byte compact signature is above `order / 2`.
    /// - Parameters:
    ///   - signature: 64 bytes of `r || s`; other lengths count as high (invalid).
    ///   - order: the 32-byte big-endian group order.
    package static func isHighS(_ signature: [UInt8], order: [UInt8]) -> Bool {
        guard signature.count == 64, order.count == 32 else { return true }
        // s > n/2  ⟺  2s > n  (n is odd), computed as a 33-byte doubling to avoid an overflow.
        var doubled = [UInt8](repeating: 0, count: 33)
        var carry: UInt16 = 0
        for i in stride(from: 31, through: 0, by: -1) {
            let v = UInt16(signature[32 + i]) << 1 | carry
            doubled[i + 1] = UInt8(v & 0xff)
            carry = v >> 8
        }
        doubled[0] = UInt8(carry)
        if doubled[0] != 0 { return true }
        return compare(doubled[1...], order[...]) > 0
    }

    /// The low-S form of a 64-byte compact signature: `s` is replaced by `order - s` when it is high.
    /// - Parameters:
    ///   - signature: 64 bytes of `r || s` with `0 < s < order`.
    ///   - order: the 32-byte big-endian group order.
    /// - Returns: the signature unchanged when already low-S, else `r || (order - s)`.
    package static func normalized(_ signature: [UInt8], order: [UInt8]) -> [UInt8] {
        guard signature.count == 64, isHighS(signature, order: order) else { return signature }
        return flippedS(signature, order: order)
    }

    /// `r || (order - s)`: the other valid encoding of the same signature (high ↔ low).
    /// - Parameters:
    ///   - signature: 64 bytes of `r || s` with `0 < s < order`.
    ///   - order: the 32-byte big-endian group order.
    /// - Returns: the flipped signature, or the input unchanged when a length is wrong.
    package static func flippedS(_ signature: [UInt8], order: [UInt8]) -> [UInt8] {
        guard signature.count == 64, order.count == 32 else { return signature }
        var out = signature
        var borrow: Int = 0
        for i in stride(from: 31, through: 0, by: -1) {
            var v = Int(order[i]) - Int(signature[32 + i]) - borrow
            borrow = v < 0 ? 1 : 0
            if v < 0 { v += 256 }
            out[32 + i] = UInt8(v)
        }
        return out
    }

    // MARK: - helpers

    private static func compare(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        for (x, y) in zip(a, b) where x != y {
            return x < y ? -1 : 1
        }
        return 0
    }
}
