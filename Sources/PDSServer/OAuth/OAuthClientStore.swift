import Foundation
import Identity
import Synchronization

/// Finds OAuth clients' metadata: loopback clients from their id, others by fetching the `client_id` URL (an https
/// URL with a path) through the identity fetcher (SSRF guard, no redirects, its timeout), with a 64 KiB size limit,
/// cached for ten minutes.
package final class OAuthClientStore: Sendable {
    /// How long fetched metadata is reused.
    static let cacheLifetime: TimeInterval = 600
    /// The largest metadata document accepted.
    static let maxDocumentSize = 64 * 1024

    private let fetcher: HTTPFetcher
    private let cache = Mutex<[String: (OAuthClientMetadata, Date)]>([:])
    private let keyCache = Mutex<[String: ([ECPublicJWK], Date)]>([:])
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - fetch: the identity fetcher's policy (SSRF guard, timeout, dev host overrides); its size limit is
    ///     lowered to ``maxDocumentSize``.
    ///   - now: the clock.
    package init(fetch: HTTPFetcher.Configuration, now: @escaping @Sendable () -> Date = Date.init) {
        var configuration = fetch
        configuration.maxResponseSize = min(configuration.maxResponseSize, Self.maxDocumentSize)
        fetcher = HTTPFetcher(configuration: configuration)
        self.now = now
    }

    /// The validated metadata of `clientID`.
    /// - Throws: ``OAuthError`` `invalid_client` / `invalid_client_metadata`.
    package func metadata(clientID: String) async throws(OAuthError) -> OAuthClientMetadata {
        if OAuthClientMetadata.isLoopback(clientID) {
            guard let metadata = OAuthClientMetadata.loopback(clientID: clientID) else {
                throw .invalidClient("Invalid loopback client_id")
            }
            try metadata.validate(clientID: clientID)
            return metadata
        }
        guard let url = URLComponents(string: clientID), url.scheme == "https", url.host?.isEmpty == false,
            url.user == nil, url.password == nil, url.fragment == nil, url.path.count > 1
        else { throw .invalidClient("client_id must be an https URL with a path, or a loopback client id") }
        let current = now()
        if let cached = cache.withLock({ $0[clientID] }), current.timeIntervalSince(cached.1) < Self.cacheLifetime {
            return cached.0
        }
        let response: HTTPFetcher.Response
        do {
            response = try await fetcher.get(clientID)
        } catch {
            throw .invalidClientMetadata("Could not fetch the client metadata: \(error)")
        }
        guard response.status == 200 else {
            throw .invalidClientMetadata("Fetching the client metadata answered HTTP \(response.status)")
        }
        let metadata: OAuthClientMetadata
        do {
            metadata = try JSONDecoder().decode(OAuthClientMetadata.self, from: Data(response.body))
        } catch {
            throw .invalidClientMetadata("The client metadata is not a valid document")
        }
        try metadata.validate(clientID: clientID)
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[clientID] = (metadata, current)
        }
        return metadata
    }

    /// The public keys a `private_key_jwt` client signs its assertions with: its inline `jwks`, or the set its
    /// `jwks_uri` serves (fetched as the metadata is, cached as long).
    /// - Throws: ``OAuthError/invalidClient(_:)`` when the set cannot be had.
    package func keys(of client: OAuthClientMetadata) async throws(OAuthError) -> [ECPublicJWK] {
        if let jwks = client.jwks { return jwks.keys }
        guard let uri = client.jwks_uri else { throw .invalidClient("The client publishes no keys") }
        let current = now()
        if let cached = keyCache.withLock({ $0[uri] }), current.timeIntervalSince(cached.1) < Self.cacheLifetime {
            return cached.0
        }
        let set: OAuthJWKSet
        do {
            let response = try await fetcher.get(uri)
            guard response.status == 200 else { throw OAuthError.invalidClient("HTTP \(response.status)") }
            set = try JSONDecoder().decode(OAuthJWKSet.self, from: Data(response.body))
        } catch {
            throw .invalidClient("Could not fetch the client's jwks_uri: \(error)")
        }
        keyCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[uri] = (set.keys, current)
        }
        return set.keys
    }
}
