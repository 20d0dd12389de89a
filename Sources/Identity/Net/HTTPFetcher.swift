import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Outbound HTTP for identity work (did:web documents, `/.well-known/atproto-did`, the PLC directory), with
/// timeouts, a response size limit, no redirects, and an optional SSRF guard.
///
/// With ``Configuration/ssrfProtection`` on, only `https` URLs are fetched, and only when *every* address the host
/// resolves to is public unicast (see ``IPAddress/isPublicUnicast``). The connection is then pinned to the checked
/// address (AsyncHTTPClient's `dnsOverride`, which keeps SNI and certificate checks on the host name), so a second
/// DNS answer cannot rebind the request to an internal address.
///
/// - Note: Each request uses its own short-lived `HTTPClient` on the shared event loop group, because the pinned
///   address is per-client configuration. Identity fetches are rare (results are cached), so connection reuse is
///   not worth weakening the guard.
package struct HTTPFetcher: Sendable {
    /// Limits and policy.
    package struct Configuration: Sendable {
        /// The deadline for the whole request, from DNS to the last body byte (`PDS_ID_RESOLVER_TIMEOUT`).
        package var timeout: Duration
        /// The largest response body accepted (`PDS_FETCH_MAX_RESPONSE_SIZE`).
        package var maxResponseSize: Int
        /// Whether to refuse plain http and non-public addresses (off when `PDS_DISABLE_SSRF_PROTECTION`).
        package var ssrfProtection: Bool
        /// Development only (`PDS_DEV_HOST_OVERRIDES`): hosts reached at another address and port, as curl's
        /// `--resolve`, keeping the URL's host name for SNI, the certificate check and `Host`. Lets a local server
        /// stand in for a handle's or did:web's HTTPS host.
        package var hostOverrides: [String: HostOverride] = [:]
        /// Development only (`PDS_DEV_EXTRA_CA_FILE`): a PEM file of certificates trusted besides the system's.
        package var extraTrustRootsFile: String?

        /// Creates a configuration.
        /// - Parameters:
        ///   - timeout: the overall deadline (default 3 s, as the reference PDS).
        ///   - maxResponseSize: the body limit (default 512 KiB).
        ///   - ssrfProtection: whether the SSRF guard is on (default on).
        package init(timeout: Duration = .seconds(3), maxResponseSize: Int = 524_288, ssrfProtection: Bool = true) {
            self.timeout = timeout
            self.maxResponseSize = maxResponseSize
            self.ssrfProtection = ssrfProtection
        }
    }

    /// Where a host is reached instead of where DNS says (``Configuration/hostOverrides``).
    package struct HostOverride: Sendable, Hashable {
        /// The IP address to connect to.
        package var address: String
        /// The port to connect to.
        package var port: Int

        /// Creates an override.
        package init(address: String, port: Int) {
            self.address = address
            self.port = port
        }

        /// Parses `host=address:port,…` (`PDS_DEV_HOST_OVERRIDES`); `nil` when an entry is malformed.
        package static func parseList(_ value: String) -> [String: HostOverride]? {
            var out: [String: HostOverride] = [:]
            for entry in value.split(separator: ",") {
                let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let colon = parts[1].lastIndex(of: ":"),
                    let port = Int(parts[1][parts[1].index(after: colon)...]), (1...65535).contains(port),
                    IPAddress(String(parts[1][..<colon])) != nil
                else { return nil }
                out[parts[0].lowercased()] = HostOverride(address: String(parts[1][..<colon]), port: port)
            }
            return out
        }
    }

    /// A fetched response.
    package struct Response: Sendable {
        /// The HTTP status code.
        package var status: Int
        /// The `content-type` header, if any.
        package var contentType: String?
        /// The body, at most ``Configuration/maxResponseSize`` bytes.
        package var body: [UInt8]
    }

    /// The policy in force.
    package let configuration: Configuration

    /// Creates a fetcher.
    /// - Parameters:
    ///   - configuration: limits and policy.
    package init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// GETs a URL.
    /// - Parameters:
    ///   - url: an absolute http(s) URL.
    ///   - accept: the `accept` header.
    package func get(_ url: String, accept: String = "application/json") async throws -> Response {
        try await send(url, method: .GET, body: nil, headers: [("accept", accept)])
    }

    /// POSTs a JSON body.
    /// - Parameters:
    ///   - url: an absolute http(s) URL.
    ///   - json: the UTF-8 JSON body.
    package func post(_ url: String, json: [UInt8]) async throws -> Response {
        try await send(url, method: .POST, body: json, headers: [("content-type", "application/json")])
    }

    // MARK: - Guard

    /// The parts of a URL the guard needs.
    struct Target: Equatable {
        var scheme: String
        var host: String
    }

    /// Checks the scheme and host syntax of `url` against the policy (before any DNS).
    func target(of url: String) throws(IdentityError) -> Target {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            var host = components.host, !host.isEmpty
        else { throw .forbiddenURL("not an absolute URL: \(url)") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard scheme == "https" || scheme == "http" else { throw .forbiddenURL("unsupported scheme: \(scheme)") }
        if configuration.ssrfProtection && scheme != "https" { throw .forbiddenURL("only https is allowed: \(url)") }
        return Target(scheme: scheme, host: host)
    }

    /// Resolves `host` and returns the address to pin, refusing any non-public address when the guard is on.
    func pinnedAddress(for host: String) async throws -> IPAddress? {
        guard configuration.ssrfProtection else { return nil }
        return try await SSRFGuard.publicAddress(of: host)
    }

    // MARK: - Request

    private func send(
        _ url: String, method: HTTPMethod, body: [UInt8]?, headers: [(String, String)]
    ) async throws -> Response {
        let deadline = NIODeadline.now() + TimeAmount(configuration.timeout)
        let target = try target(of: url)
        let override = configuration.hostOverrides[target.host.lowercased()]
        let pinned: IPAddress?
        if let override {
            pinned = IPAddress(override.address)
        } else {
            pinned = try await withTimeout(url) { try await pinnedAddress(for: target.host) }
        }
        var url = url
        if let override, var components = URLComponents(string: url) {
            components.port = override.port
            url = components.string ?? url
        }

        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(
            connect: TimeAmount(configuration.timeout), read: TimeAmount(configuration.timeout))
        clientConfiguration.decompression = .disabled
        if let extraTrustRootsFile = configuration.extraTrustRootsFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(extraTrustRootsFile)]
            clientConfiguration.tlsConfiguration = tls
        }
        if let pinned, IPAddress(target.host) == nil {
            clientConfiguration.dnsOverride = [target.host: pinned.description]
        }
        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
        do {
            let response = try await perform(
                client: client, url: url, method: method, body: body, headers: headers, deadline: deadline)
            try await client.shutdown()
            return response
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func perform(
        client: HTTPClient, url: String, method: HTTPMethod, body: [UInt8]?, headers: [(String, String)],
        deadline: NIODeadline
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "user-agent", value: "swift-pds")
        if let body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline)
        } catch {
            throw Self.mapError(error, url: url)
        }
        let limit = configuration.maxResponseSize
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
            throw IdentityError.responseTooLarge(limit: limit)
        }
        var collected: [UInt8] = []
        do {
            for try await chunk in response.body {
                guard collected.count + chunk.readableBytes <= limit else {
                    throw IdentityError.responseTooLarge(limit: limit)
                }
                collected.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            throw Self.mapError(error, url: url)
        }
        return Response(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type"),
            body: collected)
    }

    /// Identity errors pass through; client timeouts become `.timedOut`; anything else (connection refused, TLS,
    /// DNS) becomes `.network`.
    private static func mapError(_ error: any Error, url: String) -> IdentityError {
        if let error = error as? IdentityError { return error }
        if let error = error as? HTTPClientError,
            error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            return .timedOut(url)
        }
        return .network("\(url): \(error)")
    }

    /// Runs `body`, failing with `.timedOut` when the configured timeout passes first.
    private func withTimeout<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws
        -> T
    {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: configuration.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw IdentityError.timedOut(what) }
            return value
        }
    }
}
