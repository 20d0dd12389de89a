extension DecodingError {
    /// What went wrong, for people: `missing property "id"`, `service/0/type has the wrong type`, or
    /// `not valid JSON`, with no Swift type or coding-key syntax.
    package var reason: String {
        switch self {
        case .keyNotFound(let key, let context):
            let path = Self.path(context.codingPath)
            return path.isEmpty
                ? "missing property \"\(key.stringValue)\"" : "\(path) is missing property \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = Self.path(context.codingPath)
            return path.isEmpty ? "the value has the wrong type" : "\(path) has the wrong type"
        case .dataCorrupted(let context):
            let path = Self.path(context.codingPath)
            return path.isEmpty ? "not valid JSON" : "\(path) is invalid"
        @unknown default:
            return "could not be decoded"
        }
    }

    /// A coding path as `a/0/b`.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
    }
}
