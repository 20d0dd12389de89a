import ATCore
import ATCrypto
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import Identity
import NIOCore
import NIOHTTP1

/// Proxies XRPC methods this server does not serve to the service that does (the reference's "pipethrough",
/// §a.8): the AppView by default, the mod service for the listed `tools.ozone.*` methods, the report service for
/// `createReport`, or whatever service the `atproto-proxy: <did>#<serviceId>` header names.
///
/// Each proxied request carries a 60-second service JWT signed with the caller's signing key (`iss` = the caller,
/// `aud` = the service's bare DID, `lxm` = the method) instead of the caller's own credentials; only the reference's
/// header lists cross in either direction (``ProxyHeaders``); bodies are streamed both ways. Upstream errors are
/// forwarded (``UpstreamError``); failing to reach the upstream is 502 `UpstreamFailure`.
///
/// Three entry points: ``forward(_:lxm:allowTakendown:)`` for requests no handler claimed (the catch-all),
/// ``fetch(_:caller:lxm:audience:serviceLXM:)`` for local handlers that call the upstream and post-process its
/// answer, and ``call(_:at:parameters:json:caller:audience:)`` for requests this server builds itself (`getFeed`'s
/// record lookup, push registrations).
package struct Pipethrough: Sendable {
    /// Request authentication.
    let auth: AuthVerifier
    /// Picks the upstream of each request.
    let targets: ProxyTargetResolver
    /// One HTTP client per upstream origin.
    let clients: UpstreamClients
    /// The signing key of an account (from the actor store).
    let signingKey: @Sendable (DID) async throws -> any Keypair
    /// Timeouts, size limit, retries (`PDS_PROXY_*`).
    let settings: PDSConfiguration.Proxy

    /// Creates the proxy.
    /// - Parameters:
    ///   - auth: request authentication.
    ///   - downstream: the configured AppView, mod and report services.
    ///   - settings: the `PDS_PROXY_*` settings.
    ///   - clients: the per-origin HTTP clients.
    ///   - didDocument: DID documents, for `atproto-proxy` targets.
    ///   - signingKey: an account's signing key.
    package init(
        auth: AuthVerifier, downstream: PDSConfiguration.Downstream, settings: PDSConfiguration.Proxy,
        clients: UpstreamClients, didDocument: @escaping @Sendable (DID) async throws -> DIDDocument?,
        signingKey: @escaping @Sendable (DID) async throws -> any Keypair
    ) {
        self.auth = auth
        self.targets = ProxyTargetResolver(downstream: downstream, didDocument: didDocument)
        self.clients = clients
        self.signingKey = signingKey
        self.settings = settings
    }

    /// The settings of the per-origin clients for `settings`.
    /// - Parameters:
    ///   - settings: the `PDS_PROXY_*` settings.
    package static func clientSettings(_ settings: PDSConfiguration.Proxy) -> UpstreamClients.Settings {
        var client = UpstreamClients.Settings()
        client.allowHTTP2 = settings.allowHTTP2
        client.connectTimeout = .milliseconds(Int64(settings.headersTimeoutMs))
        client.readTimeout = .milliseconds(Int64(settings.bodyTimeoutMs))
        client.ssrfProtection = !settings.disableSSRFProtection
        return client
    }

    // MARK: - The catch-all

    /// Proxies a request no handler claimed (reference `proxyHandler`): GET, HEAD or POST only; protected methods
    /// refused; an access token required (app passwords allowed, but privileged methods need the main password or a
    /// privileged app password); then the target is picked and the request forwarded with a service JWT.
    ///
    /// Unlike the reference, the caller is authenticated before the target is resolved, so an anonymous request never
    /// makes this server resolve a DID named in its `atproto-proxy` header.
    /// - Parameters:
    ///   - request: the client's request.
    ///   - lxm: the method (the NSID of the path).
    ///   - allowTakendown: also accept taken-down accounts' tokens (`createReport`, for appeals).
    /// - Returns: the upstream's response, streamed.
    package func forward(_ request: Request, lxm: String, allowTakendown: Bool = false) async throws -> Response {
        let proxied: [HTTPRequest.Method] = [.get, .head, .post]
        guard proxied.contains(request.method) else { throw PipethroughError.unsupportedMethod }
        if XRPCMethodSets.isProtected(lxm) { throw PipethroughError.badTokenMethod }
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, allowTakendown: allowTakendown, oauth: .allowed)
        if XRPCMethodSets.isPrivileged(lxm) && !SessionTokens.Scope.privileged.contains(caller.scope) {
            throw PipethroughError.badTokenMethod
        }
        let target = try await targets.target(for: lxm, header: request.headers[ProxyHeaders.atprotoProxy])
        try caller.authorizeRPC(lxm: lxm, aud: "\(target.did)#\(target.serviceId)")
        let hasBody = request.method == .post
        var upstream = HTTPClientRequest(url: target.origin + Self.pathAndQuery(request.uri))
        upstream.method = HTTPMethod(rawValue: request.method.rawValue)
        upstream.headers = ProxyHeaders.upstreamRequest(from: request.headers, withBody: hasBody)
        upstream.headers.add(
            name: "authorization", value: "Bearer " + (try await serviceJWT(caller.did, aud: target.did, lxm: lxm)))
        if hasBody {
            var length = HTTPClientRequest.Body.Length.unknown
            if let declared = request.headers[.contentLength].flatMap(Int64.init) { length = .known(declared) }
            upstream.body = .stream(request.body, length: length)
        }
        return try await send(upstream, origin: target.origin, idempotent: !hasBody).response(
            adding: AuthHeaders.fields)
    }

    // MARK: - Pieces

    /// A service JWT for a proxied request.
    func serviceJWT(_ caller: DID, aud: String, lxm: String) async throws -> String {
        try ServiceJWT.sign(iss: caller, aud: aud, lxm: lxm, keypair: try await signingKey(caller))
    }

    /// The request target as the client sent it: path and query, unchanged.
    static func pathAndQuery(_ uri: URI) -> String {
        uri.query.map { "\(uri.path)?\($0)" } ?? uri.path
    }
}
