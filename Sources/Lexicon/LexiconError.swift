/// Errors from parsing lexicon documents and validating data against them.
package enum LexiconError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The lexicon document itself is malformed.
    case invalidLexicon(String)
    /// A referenced schema (`nsid#def`) is not in the catalog.
    case unknownSchema(String)
    /// The data does not match the schema; the message names the path, as in `Record/text must be a string`.
    case invalidData(String)

    package var description: String {
        switch self {
        case .invalidLexicon(let message): "Invalid lexicon: \(message)"
        case .unknownSchema(let ref): "Unknown lexicon schema: \(ref)"
        case .invalidData(let message): message
        }
    }
}
