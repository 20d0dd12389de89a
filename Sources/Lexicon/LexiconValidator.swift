import ATCore

/// Validates data-model values against the schemas of a catalog.
package struct LexiconValidator: Sendable {
    /// The schemas.
    package let catalog: LexiconCatalog

    /// - Parameters:
    ///   - catalog: the lexicons to validate against.
    package init(catalog: LexiconCatalog) {
        self.catalog = catalog
    }

    /// Validates a record of type `collection` stored under `rkey`.
    /// - Throws: `LexiconError.unknownSchema` when the collection has no record schema, `LexiconError.invalidData`
    ///   with a path and a reason otherwise.
    package func validateRecord(_ record: LexValue, collection: NSID, rkey: RecordKey) throws(LexiconError) {
        guard case .record(let key, let schema) = try catalog.resolve(collection.rawValue + "#main") else {
            throw .unknownSchema(collection.rawValue)
        }
        try validateKey(rkey, type: key)
        guard case .map = record else { throw .invalidData("Record must be an object") }
        if let type = record["$type"], type.string != collection.rawValue {
            throw .invalidData("Record/$type must be \(collection)")
        }
        try validateObject(record, schema, path: "Record")
    }

    /// Validates `value` against a field type.
    package func validate(_ value: LexValue, _ type: LexiconType, path: String) throws(LexiconError) {
        switch type {
        case .null:
            guard value.isNull else { throw .invalidData("\(path) must be null") }
        case .boolean(let const):
            guard let b = value.bool else { throw .invalidData("\(path) must be a boolean") }
            if let const, b != const { throw .invalidData("\(path) must be \(const)") }
        case .integer(let c):
            guard let i = value.integer else { throw .invalidData("\(path) must be an integer") }
            if let const = c.const, i != const { throw .invalidData("\(path) must be \(const)") }
            if let values = c.enumeration, !values.contains(i) {
                throw .invalidData("\(path) must be one of (\(values.map(String.init).joined(separator: "|")))")
            }
            if let minimum = c.minimum, i < minimum { throw .invalidData("\(path) can not be less than \(minimum)") }
            if let maximum = c.maximum, i > maximum { throw .invalidData("\(path) can not be greater than \(maximum)") }
        case .string(let c):
            guard let s = value.string else { throw .invalidData("\(path) must be a string") }
            try validateString(s, c, path: path)
        case .bytes(let minLength, let maxLength):
            guard let bytes = value.bytes else { throw .invalidData("\(path) must be a byte array") }
            if let minLength, bytes.count < minLength {
                throw .invalidData("\(path) must not be smaller than \(minLength) bytes")
            }
            if let maxLength, bytes.count > maxLength {
                throw .invalidData("\(path) must not be larger than \(maxLength) bytes")
            }
        case .cidLink:
            guard value.link != nil else { throw .invalidData("\(path) must be a CID") }
        case .blob(let accept, let maxSize):
            guard let blob = BlobRef(value) else { throw .invalidData("\(path) should be a blob ref") }
            if let maxSize, let size = blob.size, size > maxSize {
                throw .invalidData("\(path) is too big: \(size) bytes, at most \(maxSize)")
            }
            if let accept, !accept.contains(where: { Self.mimeType(blob.mimeType, matches: $0) }) {
                throw .invalidData("\(path) has a MIME type (\(blob.mimeType)) that is not accepted")
            }
        case .array(let items, let minLength, let maxLength):
            guard let elements = value.array else { throw .invalidData("\(path) must be an array") }
            if let minLength, elements.count < minLength {
                throw .invalidData("\(path) must not have fewer than \(minLength) elements")
            }
            if let maxLength, elements.count > maxLength {
                throw .invalidData("\(path) must not have more than \(maxLength) elements")
            }
            for (i, element) in elements.enumerated() { try validate(element, items, path: "\(path)/\(i)") }
        case .object(let schema), .params(let schema):
            try validateObject(value, schema, path: path)
        case .ref(let ref):
            try validateRef(value, ref: ref, path: path)
        case .union(let refs, let closed):
            guard case .map = value else { throw .invalidData("\(path) must be an object which includes the \"$type\" property") }
            guard let type = value["$type"]?.string else {
                throw .invalidData("\(path) must be an object which includes the \"$type\" property")
            }
            let absolute = type.contains("#") ? type : type + "#main"
            if refs.contains(absolute) {
                try validateRef(value, ref: absolute, path: path)
            } else if closed {
                throw .invalidData("\(path) $type must be one of \(refs.joined(separator: ", "))")
            }
        case .unknown:
            guard case .map = value, BlobRef(value) == nil else { throw .invalidData("\(path) must be an object") }
        case .token:
            throw .invalidData("\(path) is a token and cannot hold a value")
        case .record(_, let schema):
            try validateObject(value, schema, path: path)
        case .query, .procedure, .subscription, .permissionSet:
            throw .invalidData("\(path) refers to a definition that does not describe data")
        }
    }

    // MARK: - pieces

    private func validateObject(_ value: LexValue, _ schema: LexiconType.ObjectSchema, path: String)
        throws(LexiconError)
    {
        guard let map = value.map else { throw .invalidData("\(path) must be an object") }
        for name in schema.required where map[name] == nil || (map[name]!.isNull && !schema.nullable.contains(name)) {
            throw .invalidData("\(path) must have the property \"\(name)\"")
        }
        for (name, type) in schema.properties {
            guard let field = map[name] else { continue }
            if field.isNull {
                if schema.nullable.contains(name) { continue }
                throw .invalidData("\(path)/\(name) must not be null")
            }
            try validate(field, type, path: "\(path)/\(name)")
        }
    }

    private func validateRef(_ value: LexValue, ref: String, path: String) throws(LexiconError) {
        let target = try catalog.resolve(ref)
        if case .token = target {
            guard value.string == ref || (ref.hasSuffix("#main") && value.string == String(ref.dropLast(5))) else {
                throw .invalidData("\(path) must be \(ref)")
            }
            return
        }
        try validate(value, target, path: path)
    }

    private func validateString(_ s: String, _ c: LexiconType.StringConstraints, path: String) throws(LexiconError) {
        if let const = c.const, s != const { throw .invalidData("\(path) must be \(const)") }
        if let values = c.enumeration, !values.contains(s) {
            throw .invalidData("\(path) must be one of (\(values.joined(separator: "|")))")
        }
        let bytes = s.utf8.count
        if let minLength = c.minLength, bytes < minLength {
            throw .invalidData("\(path) must not be shorter than \(minLength) characters")
        }
        if let maxLength = c.maxLength, bytes > maxLength {
            throw .invalidData("\(path) must not be longer than \(maxLength) characters")
        }
        if c.minGraphemes != nil || c.maxGraphemes != nil {
            let graphemes = s.count
            if let minGraphemes = c.minGraphemes, graphemes < minGraphemes {
                throw .invalidData("\(path) must not be shorter than \(minGraphemes) graphemes")
            }
            if let maxGraphemes = c.maxGraphemes, graphemes > maxGraphemes {
                throw .invalidData("\(path) must not be longer than \(maxGraphemes) graphemes")
            }
        }
        if let format = c.format, !format.accepts(s) {
            throw .invalidData("\(path) must be a valid \(format.rawValue)")
        }
    }

    private func validateKey(_ rkey: RecordKey, type: String) throws(LexiconError) {
        switch type {
        case "any": return
        case "tid":
            guard (try? TID(rkey.rawValue)) != nil else { throw .invalidData("Record key must be a TID") }
        case "nsid":
            guard (try? NSID(rkey.rawValue)) != nil else { throw .invalidData("Record key must be an NSID") }
        default:
            if type.hasPrefix("literal:") {
                let literal = type.dropFirst("literal:".count)
                guard rkey.rawValue == literal else { throw .invalidData("Record key must be '\(literal)'") }
            }
        }
    }

    /// Whether `mimeType` matches an `accept` pattern (`*/*`, `image/*`, or exact).
    static func mimeType(_ mimeType: String, matches pattern: String) -> Bool {
        if pattern == "*/*" || pattern == mimeType { return true }
        if pattern.hasSuffix("/*") { return mimeType.hasPrefix(pattern.dropLast()) }
        return false
    }
}
