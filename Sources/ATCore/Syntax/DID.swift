/// A decentralized identifier, validated against the generic atproto DID syntax (`did:method:identifier`).
///
/// Any method is accepted syntactically; ``isPLC`` and ``isWeb`` identify the two methods atproto blesses.
/// The string is case-sensitive and is kept verbatim.
package struct DID: ValidatedString, Comparable {
    /// The maximum length of a DID in atproto.
    package static let maxLength = 2048

    /// The DID as it appears on the wire.
    package let rawValue: String

    /// Validates and wraps a DID.
    ///
    /// - Parameters:
    ///   - string: For example `did:plc:7iza6de2dwap2sbkpav7c6c6`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        if let reason = SyntaxASCII.withBytes(string, Self.failure) { throw .invalidDID(reason) }
        self.rawValue = String(string)
    }

    /// The method name, for example `plc`.
    package var method: Substring {
        let afterPrefix = rawValue.dropFirst(4)
        return afterPrefix.prefix { $0 != ":" }
    }

    /// The method-specific identifier: everything after `did:<method>:`.
    package var identifier: Substring {
        rawValue.dropFirst(4 + method.utf8.count + 1)
    }

    /// Whether this is a `did:plc` DID.
    package var isPLC: Bool { rawValue.hasPrefix("did:plc:") }

    /// Whether this is a `did:web` DID.
    package var isWeb: Bool { rawValue.hasPrefix("did:web:") }

    /// Whether the raw value can be used verbatim as a single file-system path component.
    ///
    /// - Note: A valid DID only contains ASCII letters, digits and `. _ : % -`: never `/` or NUL, and since it
    ///   always starts with `did:` it is never `.` or `..`. This is therefore always `true`; it is computed rather
    ///   than assumed so that storage code can assert it cheaply.
    package var isSafePathComponent: Bool {
        !rawValue.isEmpty && rawValue != "." && rawValue != ".."
            && !rawValue.utf8.contains(UInt8(ascii: "/")) && !rawValue.utf8.contains(0)
    }

    /// Orders DIDs by their raw string (byte order).
    package static func < (lhs: DID, rhs: DID) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func failure(_ s: UnsafeBufferPointer<UInt8>) -> String? {
        guard s.count <= maxLength else { return "longer than \(maxLength) characters" }
        guard s.count > 4, s[0] == UInt8(ascii: "d"), s[1] == UInt8(ascii: "i"), s[2] == UInt8(ascii: "d"),
            s[3] == UInt8(ascii: ":")
        else { return "must start with \"did:\"" }
        var i = 4
        while i < s.count, SyntaxASCII.isLower(s[i]) { i += 1 }
        guard i > 4 else { return "method must be one or more lowercase letters" }
        guard i < s.count, s[i] == UInt8(ascii: ":") else {
            return "method must be lowercase letters followed by \":\""
        }
        i += 1
        guard i < s.count else { return "identifier is empty" }
        for b in s[i...] {
            switch b {
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "%"), UInt8(ascii: "-"):
                continue
            default:
                guard SyntaxASCII.isAlphanumeric(b) else { return "disallowed character in identifier" }
            }
        }
        switch s[s.count - 1] {
        case UInt8(ascii: ":"): return "must not end with \":\""
        case UInt8(ascii: "%"): return "must not end with \"%\""
        default: return nil
        }
    }
}
