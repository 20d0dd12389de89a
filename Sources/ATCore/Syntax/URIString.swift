/// A Lexicon `uri` string: any scheme, checked only for generic shape.
///
/// Requires an RFC 3986 scheme (a letter, then letters, digits, `+`, `-` or `.`), a colon and a non-empty
/// remainder; rejects whitespace and control characters anywhere; at most 8 KiB.
package struct URIString: ValidatedString {
    /// The maximum length of a URI, in bytes.
    package static let maxLength = 8 * 1024

    /// The URI as it appears on the wire.
    package let rawValue: String

    /// Checks the generic shape of a URI.
    ///
    /// - Parameters:
    ///   - string: For example `https://example.com/path?q=1#frag`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        let raw = String(string)
        guard raw.utf8.count <= Self.maxLength else { throw .invalidURI("longer than \(Self.maxLength) bytes") }
        guard let colon = raw.utf8.firstIndex(of: UInt8(ascii: ":")) else { throw .invalidURI("missing scheme") }
        let scheme = raw.utf8[..<colon]
        guard let first = scheme.first, SyntaxASCII.isLetter(first),
            scheme.allSatisfy({
                SyntaxASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-")
                    || $0 == UInt8(ascii: ".")
            })
        else { throw .invalidURI("scheme must be a letter followed by letters, digits, +, - or .") }
        let rest = raw.unicodeScalars[raw.index(after: colon)...]
        guard !rest.isEmpty else { throw .invalidURI("nothing after the scheme") }
        guard !rest.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidURI("whitespace or control character")
        }
        self.rawValue = raw
    }
}
