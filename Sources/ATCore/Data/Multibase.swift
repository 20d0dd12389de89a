/// Multibase encodings used by atproto: base32 lower (`b` prefix) for CIDs and base58btc (`z` prefix) for keys.
package enum Multibase {
    private static let base32Alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
    private static let base58Alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    private static let base32Table: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in base32Alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    private static let base58Table: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in base58Alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    // MARK: - base32 (RFC 4648, lowercase, no padding)

    /// Encodes bytes as RFC 4648 base32, lowercase, without padding (no multibase prefix).
    package static func base32Encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(base32Alphabet[Int((buffer >> UInt32(bits)) & 0x1f)])
            }
        }
        if bits > 0 {
            out.append(base32Alphabet[Int((buffer << UInt32(5 - bits)) & 0x1f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded lowercase base32 (no multibase prefix).
    package static func base32Decode(_ string: some StringProtocol) throws(DataModelError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for c in string.utf8 {
            let v = base32Table[Int(c)]
            if v < 0 { throw .invalidMultibase("invalid base32 character") }
            buffer = (buffer << 5) | UInt32(v)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        if bits >= 5 || (buffer & ((1 << UInt32(bits)) - 1)) != 0 {
            throw .invalidMultibase("invalid base32 padding bits")
        }
        return out
    }

    // MARK: - base58btc

    /// Encodes bytes as base58btc (Bitcoin alphabet, no multibase prefix).
    package static func base58Encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let zeros = input.prefix(while: { $0 == 0 }).count
        var digits: [UInt8] = []
        digits.reserveCapacity(input.count * 138 / 100 + 1)
        for byte in input[zeros...] {
            var carry = Int(byte)
            for i in digits.indices {
                carry += Int(digits[i]) << 8
                digits[i] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        var out = [UInt8](repeating: base58Alphabet[0], count: zeros)
        out.append(contentsOf: digits.reversed().map { base58Alphabet[Int($0)] })
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base58btc (no multibase prefix).
    package static func base58Decode(_ string: some StringProtocol) throws(DataModelError) -> [UInt8] {
        let input = Array(string.utf8)
        let zeros = input.prefix(while: { $0 == base58Alphabet[0] }).count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count * 733 / 1000 + 1)
        for c in input[zeros...] {
            let v = base58Table[Int(c)]
            if v < 0 { throw .invalidMultibase("invalid base58 character") }
            var carry = Int(v)
            for i in bytes.indices {
                carry += Int(bytes[i]) * 58
                bytes[i] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xff))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }

    // MARK: - prefixed

    /// Decodes a multibase string with a `b` (base32) or `z` (base58btc) prefix.
    package static func decode(_ string: some StringProtocol) throws(DataModelError) -> [UInt8] {
        guard let prefix = string.first else { throw .invalidMultibase("empty multibase string") }
        let body = string.dropFirst()
        switch prefix {
        case "b": return try base32Decode(body)
        case "z": return try base58Decode(body)
        default: throw .invalidMultibase("unsupported multibase prefix '\(prefix)'")
        }
    }
}
