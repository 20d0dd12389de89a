/// Errors from DID and handle resolution and from outbound identity fetches.
package enum IdentityError: Error, Equatable, Sendable {
    /// A DID document is malformed.
    case invalidDIDDocument(String)
    /// The DID's method (or form, such as a path-based did:web) is not supported.
    case unsupportedDID(String)
    /// The DID does not resolve to a document.
    case didNotFound(String)
    /// The SSRF guard refused a URL: wrong scheme, or a host that resolves to a non-public address.
    case forbiddenURL(String)
    /// A response body exceeded the configured limit.
    case responseTooLarge(limit: Int)
    /// An outbound request or DNS query did not finish in time.
    case timedOut(String)
    /// An HTTP request returned an unexpected status.
    case badStatus(Int, url: String)
    /// A network failure (connection, TLS, name resolution).
    case network(String)
    /// A DNS response could not be used.
    case dns(String)
}
