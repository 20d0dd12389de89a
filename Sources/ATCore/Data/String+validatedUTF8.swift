extension String {
    /// A string from bytes that must be well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values past
    /// U+10FFFF); `nil` otherwise. Avoids the unspecialized generic path of `String(validating:as:)`.
    init?(validatedUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard String.isValidUTF8(bytes) else { return nil }
        self.init(decoding: bytes, as: UTF8.self)
    }

    /// Whether `bytes` is well-formed UTF-8, with an eight-bytes-at-a-time ASCII fast path.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var i = 0
        @inline(__always) func continuation(_ index: Int) -> Bool { base[index] & 0xc0 == 0x80 }
        while i < count {
            if i + 8 <= count {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                    continue
                }
            }
            let lead = base[i]
            switch lead {
            case 0..<0x80:
                i += 1
            case 0xc2..<0xe0:
                guard i + 1 < count, continuation(i + 1) else { return false }
                i += 2
            case 0xe0..<0xf0:
                guard i + 2 < count, continuation(i + 1), continuation(i + 2) else { return false }
                let second = base[i + 1]
                if lead == 0xe0 && second < 0xa0 { return false }  // overlong
                if lead == 0xed && second >= 0xa0 { return false }  // surrogate
                i += 3
            case 0xf0..<0xf5:
                guard i + 3 < count, continuation(i + 1), continuation(i + 2), continuation(i + 3) else { return false }
                let second = base[i + 1]
                if lead == 0xf0 && second < 0x90 { return false }  // overlong
                if lead == 0xf4 && second >= 0x90 { return false }  // past U+10FFFF
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
