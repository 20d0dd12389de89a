import ATCore
import ATCrypto
import Foundation

/// Resolves `did:plc` (from the PLC directory) and `did:web` (from `/.well-known/did.json`) DIDs to documents,
/// through an optional ``DIDCache``.
///
/// With a cache, a fresh entry is returned as is; a stale one (older than the stale TTL) is returned at once and
/// refreshed in the background; an expired one (older than the max TTL) is resolved again before returning.
package final class DIDResolver: Sendable {
    /// Where and how to resolve.
    package struct Configuration: Sendable {
        /// The PLC directory URL (`PDS_DID_PLC_URL`, default `https://plc.directory`).
        package var plcURL: String
        /// Timeouts, size limit and SSRF policy for did:web fetches (`PDS_ID_RESOLVER_TIMEOUT`,
        /// `PDS_FETCH_MAX_RESPONSE_SIZE`, `PDS_DISABLE_SSRF_PROTECTION`).
        package var fetch: HTTPFetcher.Configuration

        /// Creates a configuration.
        /// - Parameters:
        ///   - plcURL: the PLC directory URL.
        ///   - fetch: the outbound fetch policy.
        package init(plcURL: String = "https://plc.directory", fetch: HTTPFetcher.Configuration = .init()) {
            self.plcURL = plcURL
            self.fetch = fetch
        }
    }

    /// The resolution settings.
    package let configuration: Configuration
    /// The cache, if any.
    package let cache: (any DIDCache)?
    private let webFetcher: HTTPFetcher
    private let plcFetcher: HTTPFetcher

    /// Creates a resolver.
    /// - Parameters:
    ///   - configuration: the PLC URL and fetch policy.
    ///   - cache: a DID document cache, or `nil` to always resolve.
    package init(configuration: Configuration = .init(), cache: (any DIDCache)? = nil) {
        self.configuration = configuration
        self.cache = cache
        self.webFetcher = HTTPFetcher(configuration: configuration.fetch)
        // The PLC URL is operator configuration, not user input: it is fetched without the SSRF guard
        // (so a local or private directory works), but with the same timeout and size limit.
        var plc = configuration.fetch
        plc.ssrfProtection = false
        self.plcFetcher = HTTPFetcher(configuration: plc)
    }

    // MARK: - Resolution

    /// Resolves a DID to its document, using the cache.
    /// - Parameters:
    ///   - did: the DID.
    ///   - forceRefresh: skip the cache and store the fresh result.
    /// - Returns: the document, or `nil` when the DID does not exist.
    package func resolve(_ did: DID, forceRefresh: Bool = false) async throws -> DIDDocument? {
        var previous: CachedDIDDocument?
        if let cache, !forceRefresh {
            previous = try await cache.checkCache(did)
            if let cached = previous, !cached.expired {
                if cached.stale {
                    cache.refreshCache(did, previous: cached) { [self] in try await resolveNoCache(did) }
                }
                return cached.document
            }
        }
        guard let document = try await resolveNoCache(did) else {
            try await cache?.clearEntry(did)
            return nil
        }
        try await cache?.cacheDID(did, document: document, previous: previous)
        return document
    }

    /// Resolves a DID, failing when it does not exist.
    /// - Parameters:
    ///   - did: the DID.
    ///   - forceRefresh: skip the cache.
    /// - Throws: `IdentityError.didNotFound` when the DID has no document.
    package func ensureResolve(_ did: DID, forceRefresh: Bool = false) async throws -> DIDDocument {
        guard let document = try await resolve(did, forceRefresh: forceRefresh) else {
            throw IdentityError.didNotFound(did.rawValue)
        }
        return document
    }

    /// The atproto view of a DID: its signing key, PDS endpoint and claimed (unverified) handle.
    /// - Parameters:
    ///   - did: the DID.
    ///   - forceRefresh: skip the cache.
    /// - Throws: `IdentityError.didNotFound`, or `.invalidDIDDocument` when the signing key is missing.
    package func resolveAtprotoData(_ did: DID, forceRefresh: Bool = false) async throws -> AtprotoData {
        let document = try await ensureResolve(did, forceRefresh: forceRefresh)
        guard let signingKey = document.signingKey else {
            throw IdentityError.invalidDIDDocument("\(did) has no valid #atproto signing key")
        }
        return AtprotoData(did: did, signingKey: signingKey, handle: document.handle, pdsEndpoint: document.pdsEndpoint)
    }

    /// Resolves without the cache.
    /// - Parameters:
    ///   - did: the DID.
    /// - Returns: the document, or `nil` when the DID does not exist (a 404, or a tombstoned PLC DID).
    package func resolveNoCache(_ did: DID) async throws -> DIDDocument? {
        let url: String
        let fetcher: HTTPFetcher
        if did.isPLC {
            url = "\(configuration.plcURL.trimmingSuffix("/"))/\(did.rawValue)"
            fetcher = plcFetcher
        } else if did.isWeb {
            url = try Self.didWebURL(did)
            fetcher = webFetcher
        } else {
            throw IdentityError.unsupportedDID(did.rawValue)
        }
        let response = try await fetcher.get(url, accept: "application/did+ld+json, application/json")
        if response.status == 404 || response.status == 410 { return nil }
        guard response.status == 200 else { throw IdentityError.badStatus(response.status, url: url) }
        let document = try DIDDocument.parse(response.body)
        guard document.id == did.rawValue else {
            throw IdentityError.invalidDIDDocument("document id \(document.id) does not match \(did)")
        }
        return document
    }

    /// The document URL of a host-only `did:web`: `https://<host>/.well-known/did.json` (http for localhost).
    /// - Parameters:
    ///   - did: a `did:web` DID; a `%3A`-encoded port is allowed, path components are not.
    package static func didWebURL(_ did: DID) throws(IdentityError) -> String {
        let identifier = did.identifier
        guard !identifier.contains(":") else { throw .unsupportedDID("path-based did:web is not supported: \(did)") }
        guard let host = identifier.removingPercentEncoding, !host.isEmpty, !host.contains("/"), !host.contains("@")
        else { throw .unsupportedDID("invalid did:web host: \(did)") }
        let hostname = host.split(separator: ":", maxSplits: 1).first.map(String.init) ?? host
        let scheme = hostname == "localhost" ? "http" : "https"
        return "\(scheme)://\(host)/.well-known/did.json"
    }
}

/// The atproto-relevant fields of a resolved DID document.
package struct AtprotoData: Sendable {
    /// The DID.
    package var did: DID
    /// The `#atproto` signing key.
    package var signingKey: any VerifyingKey
    /// The handle the document claims; verify it with ``IDResolver/verifiedHandle(for:)``.
    package var handle: Handle?
    /// The `#atproto_pds` endpoint.
    package var pdsEndpoint: String?
}

extension String {
    /// The string without one trailing `suffix`.
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
