/// Errors from the atproto data layer: multibase, varints, CIDs, DAG-CBOR, JSON, the data model and CAR files.
///
/// Each case carries a reason written for people; ``description`` is the message to show (for example
/// `Invalid JSON: nesting too deep at offset 252`), never the case syntax.
package enum DataModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidVarint
    case invalidHex
    case invalidMultibase(String)
    case invalidCID(String)
    case invalidCBOR(String)
    /// Not well-formed JSON text (RFC 8259), or nested deeper than the parser's limit.
    case invalidJSON(String)
    case invalidDataModel(String)
    case invalidCAR(String)
    case tooLarge(String)

    /// A message such as `Invalid JSON: unexpected end of input at offset 12`.
    package var description: String {
        switch self {
        case .invalidVarint: "Invalid varint"
        case .invalidHex: "Invalid hex string"
        case .invalidMultibase(let reason): "Invalid multibase string: \(reason)"
        case .invalidCID(let reason): "Invalid CID: \(reason)"
        case .invalidCBOR(let reason): "Invalid DAG-CBOR: \(reason)"
        case .invalidJSON(let reason): "Invalid JSON: \(reason)"
        case .invalidDataModel(let reason): "Invalid data: \(reason)"
        case .invalidCAR(let reason): "Invalid CAR file: \(reason)"
        case .tooLarge(let reason): "Too large: \(reason)"
        }
    }
}
