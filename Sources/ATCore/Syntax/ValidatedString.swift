/// A value that exists only as a validated wire string: parsing is its only constructor.
///
/// Conformers get `Codable` (a single JSON string, validated on decode) and `CustomStringConvertible`
/// (the raw value) for free.
package protocol ValidatedString: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Validates `string` and wraps it.
    ///
    /// - Parameters:
    ///   - string: The wire form.
    init(_ string: some StringProtocol) throws(SyntaxError)

    /// The wire form. For types that normalise (for example ``Handle``), the normalised form.
    var rawValue: String { get }
}

extension ValidatedString {
    /// Decodes a single string and validates it; a syntax error becomes `DecodingError.dataCorrupted`.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            try self.init(string)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the raw value as a single string.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The raw value.
    package var description: String { rawValue }
}
