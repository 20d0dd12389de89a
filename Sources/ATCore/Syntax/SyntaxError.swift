/// A string failed atproto syntax validation.
///
/// Each case names the syntax that was expected and carries a human readable reason. The reason never echoes
/// the (possibly very long, possibly hostile) input back.
package enum SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a valid DID (`did:method:identifier`).
    case invalidDID(String)
    /// Not a valid handle (a hostname with at least two labels).
    case invalidHandle(String)
    /// Not a valid NSID (`reversed.domain.name`).
    case invalidNSID(String)
    /// Not a valid record key.
    case invalidRecordKey(String)
    /// Not a valid TID (13 base32-sortable characters).
    case invalidTID(String)
    /// Not a valid AT URI in the restricted lexicon syntax.
    case invalidATURI(String)
    /// Neither a valid DID nor a valid handle.
    case invalidATIdentifier(String)
    /// Not a valid lexicon datetime, syntactically or semantically.
    case invalidDatetime(String)
    /// Not a well-formed (or, where asked for, valid) BCP 47 language tag.
    case invalidLanguage(String)
    /// Not a syntactically valid CID string.
    case invalidCID(String)
    /// Not a valid lexicon `uri` string.
    case invalidURI(String)

    /// The reason the value was rejected, without the syntax name.
    package var reason: String {
        switch self {
        case .invalidDID(let r), .invalidHandle(let r), .invalidNSID(let r), .invalidRecordKey(let r),
            .invalidTID(let r), .invalidATURI(let r), .invalidATIdentifier(let r), .invalidDatetime(let r),
            .invalidLanguage(let r), .invalidCID(let r), .invalidURI(let r):
            return r
        }
    }

    /// A message of the form `Invalid DID: <reason>`.
    package var description: String {
        let kind: String
        switch self {
        case .invalidDID: kind = "DID"
        case .invalidHandle: kind = "handle"
        case .invalidNSID: kind = "NSID"
        case .invalidRecordKey: kind = "record key"
        case .invalidTID: kind = "TID"
        case .invalidATURI: kind = "AT URI"
        case .invalidATIdentifier: kind = "AT identifier"
        case .invalidDatetime: kind = "datetime"
        case .invalidLanguage: kind = "language tag"
        case .invalidCID: kind = "CID string"
        case .invalidURI: kind = "URI"
        }
        return "Invalid \(kind): \(reason)"
    }
}
