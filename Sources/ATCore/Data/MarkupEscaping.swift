/// How ``escapeMarkup(_:apostrophe:)`` writes `'`.
package enum MarkupApostrophe: Sendable {
    /// `&#39;`, for HTML (HTML 4 has no `&apos;`, and some mail clients still read it so).
    case numeric
    /// `&apos;`, XML's predefined entity.
    case named
}

/// Escapes text for HTML or XML element content and quoted attribute values: `&`, `<`, `>`, `"` and `'` become
/// entity references, everything else is kept.
///
/// It works on Unicode scalars, not characters: a `"` followed by a combining mark is one `Character` that is not
/// `"`, and must still be escaped.
/// - Parameters:
///   - text: the text.
///   - apostrophe: how `'` is written.
package func escapeMarkup(_ text: String, apostrophe: MarkupApostrophe) -> String {
    var out = String.UnicodeScalarView()
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out.append(contentsOf: "&amp;".unicodeScalars)
        case "<": out.append(contentsOf: "&lt;".unicodeScalars)
        case ">": out.append(contentsOf: "&gt;".unicodeScalars)
        case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
        case "'": out.append(contentsOf: (apostrophe == .named ? "&apos;" : "&#39;").unicodeScalars)
        default: out.append(scalar)
        }
    }
    return String(out)
}
