/// A parsed JSON document that keeps numbers as their literal text, so integers, floats and booleans stay distinct.
///
/// This is the neutral tree between JSON bytes and ``LexValue``; see `JSONValue+parse.swift` and
/// `JSONValue+serialize.swift`. Objects with duplicate member names are rejected when parsing.
package indirect enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its literal JSON text (for example `-12`, `1.5e3`).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// The member under `key` when this is an object, else `nil`.
    /// - Parameters:
    ///   - key: the member name.
    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string payload, if this is a string.
    package var string: String? { if case .string(let s) = self { s } else { nil } }

    /// The elements, if this is an array.
    package var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
}
