import Foundation
import Lexicon

/// What a method's lexicon requires of a request: its query parameters and, for a procedure that takes an input,
/// the encodings its body may have.
struct XRPCMethodSchema: Sendable {
    /// The kind of method.
    enum Kind: Sendable { case query, procedure, subscription }

    /// The method's NSID.
    let nsid: String
    /// Its kind.
    let kind: Kind
    /// The `parameters` schema; `nil` when the method takes none.
    let parameters: LexiconType.ObjectSchema?
    /// The accepted body encodings (the lexicon's `input.encoding`, comma-separated there); `nil` when the method
    /// takes no body.
    let inputEncodings: [String]?

    /// The schema of `nsid` in `catalog`, or `nil` when the catalog has no query, procedure or subscription by that
    /// name.
    init?(nsid: String, catalog: LexiconCatalog = KnownLexicons.catalog) {
        switch catalog.document(nsid)?.defs["main"] {
        case .query(let parameters, _)?:
            (kind, self.parameters, inputEncodings) = (.query, parameters, nil)
        case .procedure(let parameters, let input, _)?:
            let encodings = input.map {
                $0.encoding.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            }
            (kind, self.parameters, inputEncodings) = (.procedure, parameters, encodings)
        case .subscription(let parameters, _)?:
            (kind, self.parameters, inputEncodings) = (.subscription, parameters, nil)
        default:
            return nil
        }
        self.nsid = nsid
    }
}
