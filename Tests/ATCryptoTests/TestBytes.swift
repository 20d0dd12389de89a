import Foundation

/// Small byte-string helpers for the crypto tests.
enum TestBytes {
    /// Decodes lowercase or uppercase hex; traps on malformed test input.
    static func hex(_ string: String) -> [UInt8] {
        let chars = Array(string.utf8)
        precondition(chars.count % 2 == 0, "odd-length hex")
        return stride(from: 0, to: chars.count, by: 2).map { i in
            UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16)!
        }
    }

    /// Encodes bytes as lowercase hex.
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Decodes standard base64, padded or not.
    static func base64(_ string: String) -> [UInt8]? {
        var padded = string
        while padded.utf8.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { Array($0) }
    }

    /// A DER `SEQUENCE { INTEGER r, INTEGER s }` for a compact signature, to check DER is refused.
    static func der(fromCompact signature: [UInt8]) -> [UInt8] {
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop(while: { $0 == 0 }))
            if value.isEmpty || value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(signature[0..<32]) + integer(signature[32..<64])
        return [0x30, UInt8(body.count)] + body
    }
}
