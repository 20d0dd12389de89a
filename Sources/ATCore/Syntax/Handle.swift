/// An atproto handle: a DNS hostname with at least two labels, normalised to lowercase.
///
/// Syntax validation is separate from policy: `laptop.local` is a syntactically valid handle even though
/// ``isDisallowedTLD`` is `true` for it.
package struct Handle: ValidatedString, Comparable {
    /// The maximum length of a handle.
    package static let maxLength = 253

    /// The placeholder handle shown when an account's handle fails bidirectional verification.
    package static let invalid = Handle(normalized: "handle.invalid")

    /// Top-level domains that the handle spec disallows for registration and resolution.
    package static let disallowedTLDs: Set<String> = [
        "alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion",
    ]

    /// The handle, lowercased.
    package let rawValue: String

    /// Validates a handle and normalises it to lowercase.
    ///
    /// - Parameters:
    ///   - string: For example `Alice.bsky.social` (stored as `alice.bsky.social`).
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        if let reason = SyntaxASCII.withBytes(string, Self.failure) { throw .invalidHandle(reason) }
        self.rawValue = String(string).lowercased()
    }

    private init(normalized: String) { self.rawValue = normalized }

    /// The last label, for example `social`.
    package var tld: Substring {
        rawValue[rawValue.index(after: rawValue.lastIndex(of: ".")!)...]
    }

    /// Whether the handle ends in a TLD that the spec disallows (`.local`, `.arpa`, `.invalid`, `.localhost`,
    /// `.internal`, `.example`, `.onion`, `.alt`).
    package var isDisallowedTLD: Bool { Self.disallowedTLDs.contains(String(tld)) }

    /// Orders handles by their normalised string.
    package static func < (lhs: Handle, rhs: Handle) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func failure(_ s: UnsafeBufferPointer<UInt8>) -> String? {
        guard !s.isEmpty else { return "empty" }
        guard s.count <= maxLength else { return "longer than \(maxLength) characters" }
        var labels = 0
        var lastLabel = s[0..<0]
        for label in s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if let reason = SyntaxASCII.labelFailure(label) { return reason }
            labels += 1
            lastLabel = label
        }
        guard labels >= 2 else { return "must have at least two segments" }
        guard let first = lastLabel.first, SyntaxASCII.isLetter(first) else {
            return "top-level domain must start with a letter"
        }
        return nil
    }
}
