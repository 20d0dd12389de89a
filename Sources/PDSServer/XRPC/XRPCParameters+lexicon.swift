import ATCore
import Hummingbird
import Lexicon

extension XRPCParameters {
    /// Checks `request`'s query parameters against its method's lexicon, as ``XRPCLexiconMiddleware`` does; a
    /// request that is not an XRPC call, or whose method is not in `catalog`, passes. The fuzzing harness's entry.
    /// - Throws: 400 `InvalidRequest`, see ``validate(against:validator:)``.
    package static func validateQuery(of request: Request, catalog: LexiconCatalog = KnownLexicons.catalog)
        throws(XRPCError)
    {
        guard let nsid = request.xrpcMethod, let parameters = XRPCMethodSchema(nsid: nsid, catalog: catalog)?.parameters
        else { return }
        try XRPCParameters(request).validate(against: parameters)
    }

    /// Checks the query parameters against a method's `parameters` schema, as the reference's xrpc-server does before
    /// any handler runs: a required parameter that is absent (or empty) is refused, and every parameter present must
    /// have its declared type, format and bounds. Parameters the schema does not name are ignored.
    ///
    /// Messages are the reference's: `Error: Params must have the property "cids"`, `Error: limit can not be greater
    /// than 1000`, `Error: did must be a valid did`. Unlike the reference, a non-numeric integer is refused
    /// (`Error: limit must be an integer`) rather than read as 0, and a boolean must be `true` or `false`.
    /// - Parameters:
    ///   - schema: the method's `parameters`.
    ///   - validator: the lexicon validator (for `ref`s, of which parameters have none in practice).
    /// - Throws: 400 `InvalidRequest` naming the first parameter at fault (required ones are checked first).
    func validate(against schema: LexiconType.ObjectSchema, validator: LexiconValidator = KnownLexicons.validator)
        throws(XRPCError)
    {
        let optional = schema.properties.keys.filter { !schema.required.contains($0) }.sorted()
        for name in schema.required + optional {
            guard let type = schema.properties[name] else { continue }
            guard let value = try decoded(name, as: type) else {
                if schema.required.contains(name) {
                    throw .invalidRequest("Error: Params must have the property \"\(name)\"")
                }
                continue
            }
            do {
                try validator.validate(value, type, path: name)
            } catch {
                throw .invalidRequest("Error: \(error)")
            }
        }
    }

    /// The value of `name` as the data-model value its lexicon type calls for, or `nil` when it is absent (empty
    /// values count as absent, as in the reference).
    private func decoded(_ name: String, as type: LexiconType) throws(XRPCError) -> LexValue? {
        let values = strings(name).filter { !$0.isEmpty }
        if case .array(let items, _, _) = type {
            guard !values.isEmpty else { return nil }
            var elements: [LexValue] = []
            for (index, raw) in values.enumerated() { elements.append(try Self.decode(raw, as: items, path: "\(name)/\(index)")) }
            return .array(elements)
        }
        return try values.first.map { (raw) throws(XRPCError) in try Self.decode(raw, as: type, path: name) }
    }

    /// One query-string value as a data-model value: integers and booleans are parsed, everything else stays text
    /// (and is then checked by the validator).
    private static func decode(_ raw: String, as type: LexiconType, path: String) throws(XRPCError) -> LexValue {
        switch type {
        case .integer:
            guard let value = Int64(raw) else { throw .invalidRequest("Error: \(path) must be an integer") }
            return .integer(value)
        case .boolean:
            switch raw {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw .invalidRequest("Error: \(path) must be a boolean")
            }
        default:
            return .string(raw)
        }
    }
}
