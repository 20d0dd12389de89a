import ATCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension Pipethrough {
    /// The most bytes read of an answer to ``appViewQuery(caller:lxm:parameters:)``.
    static let maxAppViewQueryResponse = 1024 * 1024

    /// Calls a query of the configured AppView as `caller` (a service JWT with `aud` = the AppView, `lxm` = the
    /// method) and returns its JSON answer: what the reference's `ctx.bskyAppView.client` does for read-after-write
    /// (embedded records, the parents of a thread).
    /// - Parameters:
    ///   - caller: the account the JWT speaks for.
    ///   - lxm: the query.
    ///   - parameters: its query parameters, in order (repeat a name for an array).
    /// - Throws: ``PipethroughError`` (no AppView configured, unreachable, …), ``UpstreamError`` for an error answer,
    ///   `DataModelError` for an answer that is not JSON.
    package func appViewQuery(caller: DID, lxm: String, parameters: [(String, String)]) async throws -> JSONValue {
        guard let appView = targets.downstream.appView, let origin = ProxyTarget.origin(of: appView.url) else {
            throw PipethroughError.noServiceConfigured(lxm: lxm, variable: "PDS_BSKY_APP_VIEW_URL")
        }
        var components = URLComponents()
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        let query = components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? ""
        var request = HTTPClientRequest(url: "\(origin)/xrpc/\(lxm)\(query)")
        request.method = .GET
        request.headers.add(name: "accept-encoding", value: "identity")
        request.headers.add(
            name: "authorization", value: "Bearer " + (try await serviceJWT(caller, aud: appView.did, lxm: lxm)))
        let response = try await send(request, origin: origin, idempotent: true)
        let body = try await response.collect(upTo: Self.maxAppViewQueryResponse)
        return try JSONValue(parsing: body.readableBytesView)
    }
}
