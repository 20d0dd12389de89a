extension IdentityError: CustomStringConvertible {
    /// A message for people, such as `Invalid DID document: missing property "id"`.
    package var description: String {
        switch self {
        case .invalidDIDDocument(let reason): "Invalid DID document: \(reason)"
        case .unsupportedDID(let reason): "Unsupported DID: \(reason)"
        case .didNotFound(let did): "DID not found: \(did)"
        case .forbiddenURL(let reason): "URL not allowed: \(reason)"
        case .responseTooLarge(let limit): "Response larger than \(limit) bytes"
        case .timedOut(let what): "Timed out: \(what)"
        case .badStatus(let status, let url): "Unexpected HTTP status \(status) from \(url)"
        case .network(let reason): "Network error: \(reason)"
        case .dns(let reason): "DNS error: \(reason)"
        }
    }
}
