import ATCore

/// A parsed lexicon document: `{lexicon: 1, id: <NSID>, defs: {…}}`.
package struct LexiconDocument: Sendable, Equatable {
    /// The document's NSID.
    package let id: NSID
    /// Its definitions by name (`main` for the primary one).
    package let defs: [String: LexiconType]

    /// Parses a document from JSON text.
    /// - Throws: `LexiconError.invalidLexicon` naming the first problem found.
    package init(json bytes: some Collection<UInt8>) throws(LexiconError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Array(bytes))
        } catch {
            throw .invalidLexicon("\(error)")
        }
        try self.init(json: value)
    }

    /// Parses a document.
    package init(json: JSONValue) throws(LexiconError) {
        guard case .object(let object) = json else { throw .invalidLexicon("document must be an object") }
        guard case .number(let version) = object["lexicon"], version == "1" else {
            throw .invalidLexicon("'lexicon' must be 1")
        }
        guard let idString = object["id"]?.string, let id = try? NSID(idString) else {
            throw .invalidLexicon("'id' must be an NSID")
        }
        guard case .object(let rawDefs) = object["defs"] else { throw .invalidLexicon("'defs' must be an object") }
        let parser = LexiconParser(documentID: id.rawValue)
        var defs: [String: LexiconType] = [:]
        for (name, raw) in rawDefs {
            let type = try parser.parse(raw, path: name, topLevel: true)
            if type.isPrimary && name != "main" {
                throw .invalidLexicon("\(name): a \(raw["type"]?.string ?? "") definition must be named 'main'")
            }
            switch type {
            case .ref, .union, .unknown:
                throw .invalidLexicon("\(name): '\(raw["type"]?.string ?? "")' cannot be a named definition")
            default:
                defs[name] = type
            }
        }
        self.id = id
        self.defs = defs
    }
}
