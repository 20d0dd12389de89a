import ATCore

/// A set of lexicon documents, looked up by NSID and by absolute reference (`nsid#def`).
package struct LexiconCatalog: Sendable {
    private var documents: [String: LexiconDocument] = [:]

    /// An empty catalog.
    package init() {}

    /// A catalog of the given documents.
    package init(_ documents: [LexiconDocument]) {
        for document in documents { add(document) }
    }

    /// Adds (or replaces) a document.
    package mutating func add(_ document: LexiconDocument) {
        documents[document.id.rawValue] = document
    }

    /// The document with this NSID.
    package func document(_ nsid: String) -> LexiconDocument? { documents[nsid] }

    /// Whether a record type is known.
    package func hasRecordType(_ nsid: NSID) -> Bool {
        if case .record = documents[nsid.rawValue]?.defs["main"] { return true }
        return false
    }

    /// The definition an absolute reference names.
    /// - Throws: `LexiconError.unknownSchema`.
    package func resolve(_ ref: String) throws(LexiconError) -> LexiconType {
        let parts = ref.split(separator: "#", maxSplits: 1)
        let name = parts.count == 2 ? String(parts[1]) : "main"
        guard let type = documents[String(parts[0])]?.defs[name] else { throw .unknownSchema(ref) }
        return type
    }
}
