/// Byte classification shared by the hand-written syntax scanners (ASCII only, no locale).
enum SyntaxASCII {
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- UInt8(ascii: "a") < 26 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- UInt8(ascii: "A") < 26 }
    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { isLower(b) || isUpper(b) }
    @inline(__always) static func isAlphanumeric(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) }
    @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20) &- UInt8(ascii: "a") < 6
    }
    @inline(__always) static func lowercased(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }

    /// Runs `body` over the contiguous UTF-8 bytes of `string`.
    static func withBytes<R>(_ string: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(string)
        return copy.withUTF8(body)
    }

    /// Checks that `bytes` is a hostname-style label: 1–63 letters, digits or hyphens, no leading or trailing hyphen.
    static func labelFailure(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence) -> String? {
        guard !bytes.isEmpty else { return "empty segment" }
        guard bytes.count <= 63 else { return "segment longer than 63 characters" }
        guard bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return "segment starts or ends with a hyphen"
        }
        for b in bytes where !(isAlphanumeric(b) || b == UInt8(ascii: "-")) {
            return "disallowed character in segment"
        }
        return nil
    }
}
