import ATCore
import AsyncHTTPClient
import Hummingbird
import NIOHTTP1

/// The proxy as local handlers use it: methods this server serves by calling a service and post-processing its answer
/// (read-after-write munging, `getFeed`).
extension Pipethrough {
    /// Calls the upstream of a method a local handler serves by delegation (reference `pipethrough()`): the request's
    /// target (its `atproto-proxy` header or the method's default service), its path and query, the forwarded
    /// headers, and a service JWT for `caller`. Only GET and HEAD, as in the reference. The upstream is asked for an
    /// `identity` encoding, so the handler can read the body as it is.
    /// - Parameters:
    ///   - request: the client's request (already authenticated by the handler).
    ///   - caller: the account the service JWT speaks for.
    ///   - lxm: the method called.
    ///   - audience: the JWT's `aud` (default: the target's DID; `getFeed` passes the feed generator's).
    ///   - serviceLXM: the JWT's `lxm` (default `lxm`; `getFeed` passes `app.bsky.feed.getFeedSkeleton`).
    /// - Returns: the upstream's successful answer, its body unread: ``UpstreamResponse/collect(upTo:)`` reads it,
    ///   ``UpstreamResponse/response(adding:)`` forwards it.
    /// - Throws: ``UpstreamError`` for an upstream error answer, ``PipethroughError`` for the rest.
    package func fetch(
        _ request: Request, caller: DID, lxm: String, audience: String? = nil, serviceLXM: String? = nil
    ) async throws -> UpstreamResponse {
        guard request.method == .get || request.method == .head else { throw PipethroughError.unsupportedMethod }
        let target = try await target(for: lxm, request: request)
        var upstream = HTTPClientRequest(url: target.origin + Self.pathAndQuery(request.uri))
        upstream.method = HTTPMethod(rawValue: request.method.rawValue)
        upstream.headers = ProxyHeaders.upstreamRequest(
            from: request.headers, withBody: false, acceptEncoding: "identity")
        let jwt = try await serviceJWT(caller, aud: audience ?? target.did, lxm: serviceLXM ?? lxm)
        upstream.headers.add(name: "authorization", value: "Bearer " + jwt)
        return try await send(upstream, origin: target.origin, idempotent: true)
    }

    /// Where `request` for `lxm` would be proxied: its `atproto-proxy` header's service, else the method's default.
    /// - Throws: ``PipethroughError`` for a bad header or when no service is configured.
    package func target(for lxm: String, request: Request) async throws -> ProxyTarget {
        try await targets.target(for: lxm, header: request.headers[ProxyHeaders.atprotoProxy])
    }
}
