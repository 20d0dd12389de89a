/// A namespaced identifier: a reversed domain authority followed by a name, for example `app.bsky.feed.post`.
///
/// The string is kept verbatim. The authority is case-insensitive by spec but is not normalised here.
package struct NSID: ValidatedString, Comparable {
    /// The maximum total length of an NSID.
    package static let maxLength = 317

    /// The NSID as it appears on the wire.
    package let rawValue: String

    /// Validates and wraps an NSID.
    ///
    /// - Parameters:
    ///   - string: For example `com.atproto.repo.createRecord`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        if let reason = SyntaxASCII.withBytes(string, Self.failure) { throw .invalidNSID(reason) }
        self.rawValue = String(string)
    }

    /// The domain authority in reversed order, for example `app.bsky.feed`.
    package var authority: Substring { rawValue[..<rawValue.lastIndex(of: ".")!] }

    /// The name segment, for example `post`.
    package var name: Substring { rawValue[rawValue.index(after: rawValue.lastIndex(of: ".")!)...] }

    /// Orders NSIDs by their raw string.
    package static func < (lhs: NSID, rhs: NSID) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func failure(_ s: UnsafeBufferPointer<UInt8>) -> String? {
        guard s.count <= maxLength else { return "longer than \(maxLength) characters" }
        let segments = s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count >= 3 else { return "must have at least three segments" }
        for segment in segments.dropLast() {
            if let reason = SyntaxASCII.labelFailure(segment) { return "authority: \(reason)" }
        }
        guard let tldFirst = segments[0].first, !SyntaxASCII.isDigit(tldFirst) else {
            return "first segment must not start with a digit"
        }
        let name = segments[segments.count - 1]
        guard !name.isEmpty, name.count <= 63 else { return "name must be 1 to 63 characters" }
        guard SyntaxASCII.isLetter(name[name.startIndex]) else { return "name must start with a letter" }
        guard name.allSatisfy(SyntaxASCII.isAlphanumeric) else { return "name must be ASCII letters and digits" }
        return nil
    }
}
