/// DAG-CBOR (DRISL) as used by atproto: the canonical binary encoding of ``LexValue``.
///
/// Encoding is deterministic: definite lengths, smallest integer and length heads, map keys sorted by length then
/// bytewise, CIDs as tag 42 over bytes with a leading 0x00. Decoding is strict and accepts exactly the encodings the
/// encoder produces; anything else is a ``DataModelError``, never a trap.
package enum DAGCBOR {
    /// The default limit on nested arrays and maps when decoding.
    package static let maxDepth = 128

    /// The CBOR tag for CID links.
    static let cidTag: UInt64 = 42

    /// Major types.
    enum Major: UInt8 {
        case unsigned = 0, negative = 1, bytes = 2, text = 3, array = 4, map = 5, tag = 6, simple = 7
    }

    /// The canonical key order: shorter UTF-8 first, then bytewise.
    /// - Parameters:
    ///   - lhs: a map key.
    ///   - rhs: another map key.
    package static func keyPrecedes(_ lhs: String, _ rhs: String) -> Bool {
        let lhsCount = lhs.utf8.count
        let rhsCount = rhs.utf8.count
        if lhsCount != rhsCount { return lhsCount < rhsCount }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// The CID (`dag-cbor`, sha2-256) of a value's canonical encoding.
    /// - Parameters:
    ///   - value: the value to encode and hash.
    package static func cid(of value: LexValue) -> CID {
        CID.dagCBOR(hashing: encode(value))
    }
}
