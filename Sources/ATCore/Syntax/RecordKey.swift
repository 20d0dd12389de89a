/// A record key: 1–512 characters from `A-Z a-z 0-9 . - _ : ~`, never `.` or `..`.
///
/// - Note: Because `/` is excluded and `.`/`..` are rejected, a record key is always safe as a path component.
package struct RecordKey: ValidatedString, Comparable {
    /// The maximum length of a record key.
    package static let maxLength = 512

    /// The record key as it appears on the wire.
    package let rawValue: String

    /// Validates and wraps a record key.
    ///
    /// - Parameters:
    ///   - string: For example `self` or a TID such as `3jzfcijpj2z2a`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        if let reason = SyntaxASCII.withBytes(string, Self.failure) { throw .invalidRecordKey(reason) }
        self.rawValue = String(string)
    }

    /// Wraps a TID, which is always a valid record key.
    ///
    /// - Parameters:
    ///   - tid: The TID to use as the key.
    package init(_ tid: TID) { self.rawValue = tid.rawValue }

    /// Orders record keys by their raw string.
    package static func < (lhs: RecordKey, rhs: RecordKey) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func failure(_ s: UnsafeBufferPointer<UInt8>) -> String? {
        guard !s.isEmpty else { return "empty" }
        guard s.count <= maxLength else { return "longer than \(maxLength) characters" }
        for b in s {
            switch b {
            case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "~"):
                continue
            default:
                guard SyntaxASCII.isAlphanumeric(b) else { return "disallowed character" }
            }
        }
        if s.allSatisfy({ $0 == UInt8(ascii: ".") }) && s.count <= 2 { return "\".\" and \"..\" are not allowed" }
        return nil
    }
}
