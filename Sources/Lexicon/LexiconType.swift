import ATCore

/// One schema definition from a lexicon document: a field type, or a primary type (record, query, …).
package indirect enum LexiconType: Sendable, Equatable {
    case null
    case boolean(const: Bool?)
    case integer(IntegerConstraints)
    case string(StringConstraints)
    case bytes(minLength: Int?, maxLength: Int?)
    case cidLink
    case blob(accept: [String]?, maxSize: Int?)
    case array(items: LexiconType, minLength: Int?, maxLength: Int?)
    case object(ObjectSchema)
    case params(ObjectSchema)
    /// A reference, as written (`#def`, `nsid`, `nsid#def`), resolved against the document's id at parse time.
    case ref(String)
    case union(refs: [String], closed: Bool)
    case unknown
    case token
    case record(key: String, record: ObjectSchema)
    case query(parameters: ObjectSchema?, output: Body?)
    case procedure(parameters: ObjectSchema?, input: Body?, output: Body?)
    case subscription(parameters: ObjectSchema?, message: LexiconType?)
    case permissionSet

    /// Integer constraints.
    package struct IntegerConstraints: Sendable, Equatable {
        package var minimum: Int64?
        package var maximum: Int64?
        package var enumeration: [Int64]?
        package var const: Int64?
    }

    /// String constraints. Lengths count UTF-8 bytes; graphemes count extended grapheme clusters.
    package struct StringConstraints: Sendable, Equatable {
        package var format: StringFormat?
        package var minLength: Int?
        package var maxLength: Int?
        package var minGraphemes: Int?
        package var maxGraphemes: Int?
        package var enumeration: [String]?
        package var const: String?
    }

    /// An object (or params) schema.
    package struct ObjectSchema: Sendable, Equatable {
        package var properties: [String: LexiconType]
        package var required: [String]
        package var nullable: [String]
    }

    /// A query/procedure body: an encoding and an optional schema.
    package struct Body: Sendable, Equatable {
        package var encoding: String
        package var schema: LexiconType?
    }

    /// Whether this type may only appear as a document's `main` definition.
    var isPrimary: Bool {
        switch self {
        case .record, .query, .procedure, .subscription, .permissionSet: true
        default: false
        }
    }
}

/// The string formats lexicons can require.
package enum StringFormat: String, Sendable, CaseIterable {
    case atIdentifier = "at-identifier"
    case atURI = "at-uri"
    case cid
    case datetime
    case did
    case handle
    case nsid
    case tid
    case recordKey = "record-key"
    case uri
    case language

    /// Whether `value` has this format.
    package func accepts(_ value: String) -> Bool {
        switch self {
        case .atIdentifier: (try? ATIdentifier(value)) != nil
        case .atURI: (try? ATURI(value)) != nil
        case .cid: (try? CIDString(value)) != nil
        case .datetime: (try? Datetime(value)) != nil
        case .did: (try? DID(value)) != nil
        case .handle: (try? Handle(value)) != nil
        case .nsid: (try? NSID(value)) != nil
        case .tid: (try? TID(value)) != nil
        case .recordKey: (try? RecordKey(value)) != nil
        case .uri: (try? URIString(value)) != nil
        case .language: (try? Language(value)) != nil
        }
    }
}
