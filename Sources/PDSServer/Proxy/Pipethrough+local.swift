import ATCore
import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1

/// The proxy as local handlers use it: methods this server serves by calling a service and post-processing its answer
/// (read-after-write munging, `getFeed`), and calls this server makes to a service itself (`getFeed`'s record lookup,
/// push registrations).
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

    /// Calls `lxm` at `target` with a request this server builds (not a client's request passed on), as the
    /// reference's `bskyAppView.client.call(…)` and `xrpc(endpoint, …)`: a GET of `/xrpc/<lxm>?<parameters>` when
    /// `json` is `nil`, else a POST of the JSON body `json`. No client header is forwarded; the upstream is asked for
    /// an `identity` encoding. GET is retried after socket errors as the catch-all's; POST is not.
    /// - Parameters:
    ///   - lxm: the method called.
    ///   - target: the service called.
    ///   - parameters: the query parameters, in order (percent-encoded here).
    ///   - json: the request body, serialized JSON (makes the call a POST).
    ///   - caller: the account a service JWT speaks for (`nil`: no JWT, for public methods).
    ///   - audience: the JWT's `aud` (default: the target's DID).
    /// - Returns: the upstream's successful answer, its body unread.
    /// - Throws: ``UpstreamError`` for an upstream error answer, ``PipethroughError`` for the rest.
    package func call(
        _ lxm: String, at target: ProxyTarget, parameters: [(String, String)] = [], json: [UInt8]? = nil,
        caller: DID? = nil, audience: String? = nil
    ) async throws -> UpstreamResponse {
        var upstream = HTTPClientRequest(url: target.origin + Self.xrpcPath(lxm, parameters: parameters))
        upstream.headers.add(name: "accept-encoding", value: "identity")
        if let json {
            upstream.method = .POST
            upstream.headers.add(name: "content-type", value: "application/json")
            upstream.body = .bytes(ByteBuffer(bytes: json))
        }
        if let caller {
            let jwt = try await serviceJWT(caller, aud: audience ?? target.did, lxm: lxm)
            upstream.headers.add(name: "authorization", value: "Bearer " + jwt)
        }
        return try await send(upstream, origin: target.origin, idempotent: json == nil)
    }

    /// `/xrpc/<lxm>`, with `parameters` as its query: names and values percent-encoded except for the URI unreserved
    /// characters (`A-Z a-z 0-9 - . _ ~`).
    static func xrpcPath(_ lxm: String, parameters: [(String, String)]) -> String {
        let path = "/xrpc/" + lxm
        guard !parameters.isEmpty else { return path }
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: queryUnreserved) ?? "" }
        return path + "?" + parameters.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// RFC 3986's unreserved characters: what a query name or value keeps unencoded.
    private static let queryUnreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Where `request` for `lxm` would be proxied: its `atproto-proxy` header's service, else the method's default.
    /// - Throws: ``PipethroughError`` for a bad header or when no service is configured.
    package func target(for lxm: String, request: Request) async throws -> ProxyTarget {
        try await targets.target(for: lxm, header: request.headers[ProxyHeaders.atprotoProxy])
    }
}
