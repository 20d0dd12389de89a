/// Standard base64 (RFC 4648 §4), as used by the JSON `{"$bytes": …}` form.
///
/// Output has no padding; input is accepted with or without it. By default non-zero trailing bits are ignored, as the
/// reference implementation and the lexicon interop fixtures do (`{"$bytes": "123"}` is valid data); `strict`
/// decoding refuses them, so that signed material has exactly one spelling.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let table: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    /// Encodes bytes as standard base64 without padding.
    /// - Parameters:
    ///   - bytes: the bytes to encode.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x3f)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(6 - bits)) & 0x3f)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard base64, padded or not.
    /// - Parameters:
    ///   - string: the base64 text.
    ///   - strict: refuse non-zero trailing bits.
    package static func decode(_ string: some StringProtocol, strict: Bool = false) throws(DataModelError) -> [UInt8] {
        var utf8 = Array(string.utf8)
        var padding = 0
        while utf8.last == UInt8(ascii: "=") && padding < 2 {
            utf8.removeLast()
            padding += 1
        }
        let remainder = utf8.count % 4
        if remainder == 1 { throw .invalidDataModel("invalid base64 length") }
        if padding > 0 && padding != (4 - remainder) % 4 { throw .invalidDataModel("invalid base64 padding") }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in utf8 {
            let v = table[Int(c)]
            if v < 0 { throw .invalidDataModel("invalid base64 character") }
            buffer = (buffer << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        if strict && bits > 0 && buffer & ((1 << UInt32(bits)) - 1) != 0 {
            throw .invalidDataModel("non-zero base64 trailing bits")
        }
        return out
    }
}

extension Base64 {
    /// Encodes bytes as base64url (RFC 4648 §5) without padding, as JWTs and PLC signatures use.
    package static func encodeURL(_ bytes: some Collection<UInt8>) -> String {
        String(
            encode(bytes).map { c -> Character in
                switch c {
                case "+": "-"
                case "/": "_"
                default: c
                }
            })
    }

    /// Decodes unpadded base64url; standard-alphabet characters and padding are rejected.
    /// - Parameters:
    ///   - string: the base64url text.
    ///   - strict: refuse non-zero trailing bits.
    package static func decodeURL(_ string: some StringProtocol, strict: Bool = false) throws(DataModelError)
        -> [UInt8]
    {
        var translated = ""
        translated.reserveCapacity(string.utf8.count)
        for c in string {
            switch c {
            case "+", "/", "=": throw .invalidDataModel("invalid base64url character")
            case "-": translated.append("+")
            case "_": translated.append("/")
            default: translated.append(c)
            }
        }
        return try decode(translated, strict: strict)
    }
}
