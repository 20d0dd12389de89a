import ATCore

/// Turns the JSON of one definition into a `LexiconType`, checking its shape.
struct LexiconParser {
    /// The NSID of the document being parsed, used to make references absolute.
    let documentID: String

    func parse(_ json: JSONValue, path: String, topLevel: Bool = false) throws(LexiconError) -> LexiconType {
        guard case .object(let o) = json else { throw .invalidLexicon("\(path) must be an object") }
        guard let type = o["type"]?.string else { throw .invalidLexicon("\(path) needs a 'type'") }
        switch type {
        case "null":
            return .null
        case "boolean":
            return .boolean(const: try bool(o["const"], path: "\(path).const"))
        case "integer":
            return .integer(
                .init(
                    minimum: try integer(o["minimum"], path: "\(path).minimum"),
                    maximum: try integer(o["maximum"], path: "\(path).maximum"),
                    enumeration: try integers(o["enum"], path: "\(path).enum"),
                    const: try integer(o["const"], path: "\(path).const")))
        case "string":
            var format: StringFormat?
            if let raw = o["format"] {
                guard let name = raw.string, let known = StringFormat(rawValue: name) else {
                    throw .invalidLexicon("\(path).format is not a known string format")
                }
                format = known
            }
            return .string(
                .init(
                    format: format,
                    minLength: try count(o["minLength"], path: "\(path).minLength"),
                    maxLength: try count(o["maxLength"], path: "\(path).maxLength"),
                    minGraphemes: try count(o["minGraphemes"], path: "\(path).minGraphemes"),
                    maxGraphemes: try count(o["maxGraphemes"], path: "\(path).maxGraphemes"),
                    enumeration: try strings(o["enum"], path: "\(path).enum"),
                    const: try string(o["const"], path: "\(path).const")))
        case "bytes":
            return .bytes(
                minLength: try count(o["minLength"], path: "\(path).minLength"),
                maxLength: try count(o["maxLength"], path: "\(path).maxLength"))
        case "cid-link":
            return .cidLink
        case "blob":
            return .blob(
                accept: try strings(o["accept"], path: "\(path).accept"),
                maxSize: try count(o["maxSize"], path: "\(path).maxSize"))
        case "array":
            guard let items = o["items"] else { throw .invalidLexicon("\(path) needs 'items'") }
            return .array(
                items: try parse(items, path: "\(path).items"),
                minLength: try count(o["minLength"], path: "\(path).minLength"),
                maxLength: try count(o["maxLength"], path: "\(path).maxLength"))
        case "object":
            return .object(try object(o, path: path))
        case "params":
            return .params(try object(o, path: path))
        case "ref":
            guard let ref = o["ref"]?.string else { throw .invalidLexicon("\(path).ref must be a string") }
            return .ref(try absolute(ref, path: path))
        case "union":
            guard let refs = try strings(o["refs"], path: "\(path).refs") else {
                throw .invalidLexicon("\(path) needs 'refs'")
            }
            var absoluteRefs: [String] = []
            for ref in refs { absoluteRefs.append(try absolute(ref, path: path)) }
            return .union(refs: absoluteRefs, closed: try bool(o["closed"], path: "\(path).closed") ?? false)
        case "unknown":
            return .unknown
        case "token":
            return .token
        case "record":
            guard let recordJSON = o["record"] else { throw .invalidLexicon("\(path) needs 'record'") }
            guard case .object(let recordObject) = recordJSON, recordObject["type"]?.string == "object" else {
                throw .invalidLexicon("\(path).record must be an object schema")
            }
            let key = try string(o["key"], path: "\(path).key") ?? "any"
            return .record(key: key, record: try object(recordObject, path: "\(path).record"))
        case "query":
            return .query(
                parameters: try parameters(o["parameters"], path: path),
                output: try body(o["output"], path: "\(path).output"))
        case "procedure":
            return .procedure(
                parameters: try parameters(o["parameters"], path: path),
                input: try body(o["input"], path: "\(path).input"),
                output: try body(o["output"], path: "\(path).output"))
        case "subscription":
            var message: LexiconType?
            if case .object(let m) = o["message"], let schema = m["schema"] {
                message = try parse(schema, path: "\(path).message.schema")
            }
            return .subscription(parameters: try parameters(o["parameters"], path: path), message: message)
        case "permission-set":
            guard o["permissions"]?.array != nil else { throw .invalidLexicon("\(path) needs 'permissions'") }
            return .permissionSet
        default:
            throw .invalidLexicon("\(path) has unknown type '\(type)'")
        }
    }

    // MARK: - pieces

    private func object(_ o: [String: JSONValue], path: String) throws(LexiconError) -> LexiconType.ObjectSchema {
        var properties: [String: LexiconType] = [:]
        if let raw = o["properties"] {
            guard case .object(let props) = raw else { throw .invalidLexicon("\(path).properties must be an object") }
            for (name, value) in props { properties[name] = try parse(value, path: "\(path).\(name)") }
        }
        let required = try strings(o["required"], path: "\(path).required") ?? []
        let nullable = try strings(o["nullable"], path: "\(path).nullable") ?? []
        return .init(properties: properties, required: required, nullable: nullable)
    }

    private func parameters(_ json: JSONValue?, path: String) throws(LexiconError) -> LexiconType.ObjectSchema? {
        guard let json else { return nil }
        guard case .params(let schema) = try parse(json, path: "\(path).parameters") else {
            throw .invalidLexicon("\(path).parameters must be of type params")
        }
        return schema
    }

    private func body(_ json: JSONValue?, path: String) throws(LexiconError) -> LexiconType.Body? {
        guard let json else { return nil }
        guard case .object(let o) = json, let encoding = o["encoding"]?.string else {
            throw .invalidLexicon("\(path) needs an 'encoding'")
        }
        return .init(encoding: encoding, schema: try o["schema"].map { j throws(LexiconError) in try parse(j, path: "\(path).schema") })
    }

    /// Makes `#def` and `nsid` references absolute (`nsid#def`, `nsid#main`).
    private func absolute(_ ref: String, path: String) throws(LexiconError) -> String {
        if ref.hasPrefix("#") { return documentID + ref }
        let parts = ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        guard (try? NSID(parts[0])) != nil, parts.count == 1 || !parts[1].isEmpty else {
            throw .invalidLexicon("\(path) has an invalid reference '\(ref)'")
        }
        return parts.count == 1 ? ref + "#main" : ref
    }

    private func bool(_ json: JSONValue?, path: String) throws(LexiconError) -> Bool? {
        guard let json else { return nil }
        guard case .bool(let b) = json else { throw .invalidLexicon("\(path) must be a boolean") }
        return b
    }

    private func integer(_ json: JSONValue?, path: String) throws(LexiconError) -> Int64? {
        guard let json else { return nil }
        guard case .number(let text) = json, let value = Int64(text) else {
            throw .invalidLexicon("\(path) must be an integer")
        }
        return value
    }

    private func count(_ json: JSONValue?, path: String) throws(LexiconError) -> Int? {
        guard let value = try integer(json, path: path) else { return nil }
        guard value >= 0 else { throw .invalidLexicon("\(path) must not be negative") }
        return Int(value)
    }

    private func integers(_ json: JSONValue?, path: String) throws(LexiconError) -> [Int64]? {
        guard let json else { return nil }
        guard let array = json.array else { throw .invalidLexicon("\(path) must be an array") }
        var out: [Int64] = []
        for element in array {
            guard let value = try integer(element, path: path) else { continue }
            out.append(value)
        }
        return out
    }

    private func string(_ json: JSONValue?, path: String) throws(LexiconError) -> String? {
        guard let json else { return nil }
        guard let s = json.string else { throw .invalidLexicon("\(path) must be a string") }
        return s
    }

    private func strings(_ json: JSONValue?, path: String) throws(LexiconError) -> [String]? {
        guard let json else { return nil }
        guard let array = json.array else { throw .invalidLexicon("\(path) must be an array of strings") }
        var out: [String] = []
        for element in array {
            guard let s = element.string else { throw .invalidLexicon("\(path) must be an array of strings") }
            out.append(s)
        }
        return out
    }
}
