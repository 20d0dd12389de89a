/// Unsigned LEB128 varints, as used by CIDs, multicodec prefixes and CAR framing.
package enum Varint {
    /// The largest number of bytes a varint may take (enough for a 63-bit value).
    package static let maxLength = 9

    /// Appends the varint encoding of `value` to `bytes`.
    package static func encode(_ value: UInt64, into bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// The varint encoding of `value`.
    package static func encode(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        encode(value, into: &out)
        return out
    }

    /// Decodes a minimal varint at the start of `bytes`.
    /// - Returns: the value and how many bytes it took.
    /// - Throws: `DataModelError.invalidVarint` when it is truncated, too long or not minimally encoded.
    package static func decode(_ bytes: some Collection<UInt8>) throws(DataModelError) -> (value: UInt64, length: Int) {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var length = 0
        for byte in bytes {
            length += 1
            if length > maxLength { throw .invalidVarint }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && length > 1 { throw .invalidVarint }
                return (value, length)
            }
            shift += 7
        }
        throw .invalidVarint
    }
}
