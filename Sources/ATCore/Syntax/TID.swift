/// A timestamp identifier: 13 characters of base32-sortable encoding a 64-bit integer whose top bit is zero,
/// made of 53 bits of microseconds since the Unix epoch and a 10-bit clock identifier.
///
/// Lexicographic order of the string equals numeric order of the integer, so TIDs compare by string.
package struct TID: ValidatedString, Comparable {
    /// The base32-sortable alphabet.
    package static let alphabet: [UInt8] = Array("234567abcdefghijklmnopqrstuvwxyz".utf8)

    /// The fixed length of a TID.
    package static let length = 13

    /// The largest timestamp the spec's layout gives a TID: 53 bits of microseconds (top bit of the integer zero).
    package static let maxTimestampMicroseconds: UInt64 = (1 << 53) - 1

    /// The largest timestamp a *syntactically* valid TID can carry.
    ///
    /// - Note: The syntax only requires the first character to be one of `234567abcdefghij`, which admits
    ///   integers up to 2^64 - 1, i.e. 54-bit timestamps; TIDs starting with `c`…`j` have the top bit set.
    package static let maxEncodableTimestampMicroseconds: UInt64 = (1 << 54) - 1

    /// The largest clock identifier: 10 bits.
    package static let maxClockID: UInt16 = (1 << 10) - 1

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// The TID string.
    package let rawValue: String

    /// Validates and wraps a TID.
    ///
    /// - Parameters:
    ///   - string: For example `3jzfcijpj2z2a`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        if let reason = SyntaxASCII.withBytes(string, Self.failure) { throw .invalidTID(reason) }
        self.rawValue = String(string)
    }

    /// Encodes a timestamp and clock identifier.
    ///
    /// - Parameters:
    ///   - timestampMicroseconds: Microseconds since the Unix epoch; at most ``maxEncodableTimestampMicroseconds``.
    ///   - clockID: A clock identifier in `0..<1024`.
    package init(timestampMicroseconds: UInt64, clockID: UInt16) {
        precondition(timestampMicroseconds <= Self.maxEncodableTimestampMicroseconds, "TID timestamp out of range")
        precondition(clockID <= Self.maxClockID, "TID clock id out of range")
        var value = timestampMicroseconds << 10 | UInt64(clockID)
        var bytes = [UInt8](repeating: 0, count: Self.length)
        for i in stride(from: Self.length - 1, through: 0, by: -1) {
            bytes[i] = Self.alphabet[Int(value & 31)]
            value >>= 5
        }
        self.rawValue = String(decoding: bytes, as: UTF8.self)
    }

    /// The TID as its 64-bit integer.
    package var integerValue: UInt64 {
        rawValue.utf8.reduce(UInt64(0)) { $0 << 5 | UInt64(Self.decodeTable[Int($1)]) }
    }

    /// Microseconds since the Unix epoch.
    package var timestampMicroseconds: UInt64 { integerValue >> 10 }

    /// The 10-bit clock identifier.
    package var clockID: UInt16 { UInt16(integerValue & 0x3FF) }

    /// Orders TIDs by their string, which is also their time order.
    package static func < (lhs: TID, rhs: TID) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func failure(_ s: UnsafeBufferPointer<UInt8>) -> String? {
        guard s.count == length else { return "must be exactly \(length) characters" }
        for b in s where decodeTable[Int(b)] == 0xFF { return "disallowed character (base32-sortable only)" }
        // The top bit of the integer must be zero: the first character is one of `234567abcdefghij`.
        guard decodeTable[Int(s[0])] < 16 else { return "first character must be one of 234567abcdefghij" }
        return nil
    }
}
