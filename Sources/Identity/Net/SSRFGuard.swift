/// The SSRF guard's address check, shared by every outbound connection to a URL that users can influence (did:web
/// documents, handle `/.well-known` lookups, proxied XRPC requests).
package enum SSRFGuard {
    /// The address a connection to `host` is pinned to: `host` is resolved once and accepted only when *every*
    /// address it resolves to is public unicast (``IPAddress/isPublicUnicast``); the first is returned, so a later
    /// DNS answer cannot rebind the connection to an internal address.
    /// - Parameters:
    ///   - host: a host name or an address literal.
    /// - Throws: `IdentityError.forbiddenURL` for a non-public address, `.network` when the name does not resolve.
    package static func publicAddress(of host: String) async throws -> IPAddress {
        let addresses = try await HostResolver.addresses(of: host)
        guard let first = addresses.first else { throw IdentityError.network("no addresses for \(host)") }
        if let bad = addresses.first(where: { !$0.isPublicUnicast }) {
            throw IdentityError.forbiddenURL("\(host) resolves to a non-public address (\(bad))")
        }
        return first
    }
}
