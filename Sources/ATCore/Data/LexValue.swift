/// A value in the atproto data model: what a record, commit or MST node holds.
///
/// It maps one-to-one onto DAG-CBOR (see ``DAGCBOR``) and onto JSON with `$link` and `$bytes` objects
/// (see `LexValue+JSON.swift`). Floats are not part of the data model.
package indirect enum LexValue: Hashable, Sendable {
    /// `null`.
    case null
    /// A boolean.
    case bool(Bool)
    /// A signed 64-bit integer.
    case integer(Int64)
    /// A UTF-8 string.
    case string(String)
    /// Raw bytes (`{"$bytes": …}` in JSON).
    case bytes([UInt8])
    /// A CID link (CBOR tag 42, `{"$link": …}` in JSON).
    case link(CID)
    /// An ordered list.
    case array([LexValue])
    /// A map with string keys; encodings sort the keys canonically.
    case map([String: LexValue])

    // MARK: - Accessors

    /// The value under `key` when this is a map, else `nil`.
    /// - Parameters:
    ///   - key: the map key.
    package subscript(key: String) -> LexValue? {
        if case .map(let map) = self { return map[key] }
        return nil
    }

    /// The element at `index` when this is an array and the index is in range, else `nil`.
    /// - Parameters:
    ///   - index: the array index.
    package subscript(index: Int) -> LexValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    /// The string payload, if this is a string.
    package var string: String? { if case .string(let v) = self { v } else { nil } }
    /// The integer payload, if this is an integer.
    package var integer: Int64? { if case .integer(let v) = self { v } else { nil } }
    /// The boolean payload, if this is a boolean.
    package var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    /// The bytes payload, if these are bytes.
    package var bytes: [UInt8]? { if case .bytes(let v) = self { v } else { nil } }
    /// The CID, if this is a link.
    package var link: CID? { if case .link(let v) = self { v } else { nil } }
    /// The elements, if this is an array.
    package var array: [LexValue]? { if case .array(let v) = self { v } else { nil } }
    /// The entries, if this is a map.
    package var map: [String: LexValue]? { if case .map(let v) = self { v } else { nil } }
    /// Whether this is `null`.
    package var isNull: Bool { if case .null = self { true } else { false } }

    /// The `$type` of a map, if it has a string one.
    package var type: String? { self["$type"]?.string }

    // MARK: - Data model rules

    /// Checks the data-model rules above plain DAG-CBOR: every `$type` is a non-empty string and every
    /// `$type: "blob"` map has a link `ref`, a string `mimeType` and an integer `size`.
    /// - Parameters:
    ///   - maxDepth: how deep to descend before giving up.
    package func validateDataModel(maxDepth: Int = DAGCBOR.maxDepth) throws(DataModelError) {
        try validate(depth: 0, maxDepth: maxDepth)
    }

    private func validate(depth: Int, maxDepth: Int) throws(DataModelError) {
        guard depth <= maxDepth else { throw .invalidDataModel("nesting deeper than \(maxDepth)") }
        switch self {
        case .array(let items):
            for item in items { try item.validate(depth: depth + 1, maxDepth: maxDepth) }
        case .map(let map):
            try LexValue.validateObjectRules(map)
            for (_, item) in map { try item.validate(depth: depth + 1, maxDepth: maxDepth) }
        default:
            break
        }
    }

    /// The shallow rules for one map: `$type` and blob shape.
    static func validateObjectRules(_ map: [String: LexValue]) throws(DataModelError) {
        guard let type = map["$type"] else { return }
        guard case .string(let name) = type, !name.isEmpty else {
            throw .invalidDataModel("$type must be a non-empty string")
        }
        if name == "blob" {
            guard case .link = map["ref"] else { throw .invalidDataModel("blob ref must be a link") }
            guard case .string = map["mimeType"] else { throw .invalidDataModel("blob mimeType must be a string") }
            guard case .integer(let size) = map["size"], size >= 0 else {
                throw .invalidDataModel("blob size must be a non-negative integer")
            }
        }
    }
}
