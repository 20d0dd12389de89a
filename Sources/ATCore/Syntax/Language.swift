/// A Lexicon `language`: a well-formed BCP 47 (RFC 5646) language tag such as `en`, `pt-BR` or `zh-Hant`.
///
/// ``init(_:)`` checks well-formedness, which is what Lexicon requires. ``init(valid:)`` additionally rejects
/// tags that are well-formed but not "valid" per RFC 5646 §2.2.9 (a repeated variant or extension singleton);
/// the spec asks consumers to ignore such tags. Registry membership is not checked.
///
/// - Note: Deliberately stricter than RFC 5646 in one place, following the interop fixtures: the primary
///   language subtag must be lowercase and 2–3 or 5–8 letters (`JA` and the reserved four-letter form are
///   rejected). Other subtags are case-insensitive.
package struct Language: ValidatedString {
    /// The maximum accepted length of a tag.
    package static let maxLength = 128

    /// RFC 5646 irregular grandfathered tags, which do not fit the general grammar.
    private static let irregular: Set<String> = [
        "en-GB-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux", "i-mingo",
        "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",
    ]

    /// The tag as it appears on the wire (not case-normalised).
    package let rawValue: String

    /// Checks that a tag is well-formed.
    ///
    /// - Parameters:
    ///   - string: For example `hy-Latn-IT-arevela`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        let raw = String(string)
        if Self.irregular.contains(raw) {
            self.rawValue = raw
            return
        }
        guard raw.utf8.count <= Self.maxLength else {
            throw .invalidLanguage("longer than \(Self.maxLength) characters")
        }
        let subtags = raw.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        if let reason = Self.wellFormedFailure(subtags) { throw .invalidLanguage(reason) }
        self.rawValue = raw
    }

    /// Checks that a tag is well-formed and also valid: no variant or extension singleton appears twice
    /// (compared case-insensitively).
    ///
    /// - Parameters:
    ///   - string: For example `de-DE-1901` (accepted) or `de-DE-1901-1901` (rejected).
    package init(valid string: some StringProtocol) throws(SyntaxError) {
        try self.init(string)
        if hasDuplicateSubtags { throw .invalidLanguage("repeated variant or extension singleton subtag") }
    }

    /// Whether a variant or an extension singleton is repeated, which makes a well-formed tag invalid.
    package var hasDuplicateSubtags: Bool {
        guard !Self.irregular.contains(rawValue) else { return false }
        var variants = Set<String>()
        var singletons = Set<UInt8>()
        var inExtension = false
        for (index, subtag) in rawValue.lowercased().split(separator: "-").enumerated() where index > 0 {
            if subtag.utf8.count == 1 {
                let singleton = subtag.utf8.first!
                if singleton == UInt8(ascii: "x") { return false }  // private use: anything goes after it
                if !singletons.insert(singleton).inserted { return true }
                inExtension = true
            } else if !inExtension, Self.isVariant(subtag.utf8[...]) {
                if !variants.insert(String(subtag)).inserted { return true }
            }
        }
        return false
    }

    private static func isAlnum(_ s: some Collection<UInt8>) -> Bool { s.allSatisfy(SyntaxASCII.isAlphanumeric) }
    private static func isAlpha(_ s: some Collection<UInt8>) -> Bool { s.allSatisfy(SyntaxASCII.isLetter) }
    private static func isDigits(_ s: some Collection<UInt8>) -> Bool { s.allSatisfy(SyntaxASCII.isDigit) }

    private static func isVariant(_ s: Substring.UTF8View) -> Bool {
        guard isAlnum(s) else { return false }
        return (5...8).contains(s.count) || (s.count == 4 && SyntaxASCII.isDigit(s.first!))
    }

    private static func wellFormedFailure(_ subtags: [Substring.UTF8View]) -> String? {
        guard let first = subtags.first, !first.isEmpty else { return "empty" }
        if subtags.contains(where: \.isEmpty) { return "empty subtag" }
        if subtags.contains(where: { $0.count > 8 || !isAlnum($0) }) {
            return "subtags must be 1 to 8 ASCII letters or digits"
        }
        // privateuse = "x" 1*("-" 1*8alphanum)
        if first.count == 1 && (first.first! | 0x20) == UInt8(ascii: "x") {
            return subtags.count >= 2 ? nil : "private use tag needs at least one subtag"
        }
        var i = 0
        // language = 2*3ALPHA ["-" extlang] / 5*8ALPHA, lowercase only (see the type's note)
        guard first.allSatisfy(SyntaxASCII.isLower), (2...3).contains(first.count) || (5...8).contains(first.count)
        else { return "primary language subtag must be 2-3 or 5-8 lowercase letters" }
        i = 1
        if first.count <= 3 {
            var extlangs = 0
            while i < subtags.count, extlangs < 3, subtags[i].count == 3, isAlpha(subtags[i]) {
                i += 1
                extlangs += 1
            }
        }
        if i < subtags.count, subtags[i].count == 4, isAlpha(subtags[i]) { i += 1 }  // script
        if i < subtags.count,
            (subtags[i].count == 2 && isAlpha(subtags[i])) || (subtags[i].count == 3 && isDigits(subtags[i]))
        {
            i += 1  // region
        }
        while i < subtags.count, isVariant(subtags[i]) { i += 1 }
        // extension = singleton 1*("-" (2*8alphanum)), singleton = any alphanumeric but x
        while i < subtags.count, subtags[i].count == 1, (subtags[i].first! | 0x20) != UInt8(ascii: "x") {
            i += 1
            let start = i
            while i < subtags.count, subtags[i].count >= 2 { i += 1 }
            guard i > start else { return "extension singleton must be followed by a subtag of 2-8 characters" }
        }
        if i < subtags.count, subtags[i].count == 1, (subtags[i].first! | 0x20) == UInt8(ascii: "x") {
            guard i + 1 < subtags.count else { return "private use needs at least one subtag" }
            return nil
        }
        return i == subtags.count ? nil : "subtags out of order or of the wrong shape"
    }
}
