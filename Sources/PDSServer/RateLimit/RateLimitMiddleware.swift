import HTTPTypes
import Identity
import Hummingbird
import NIOCore

/// Applies ``RateLimits`` to `/xrpc/` requests (all of them but `/xrpc/_health`, which the reference serves outside
/// XRPC): finds the client IP, lets bypassed requests through uncounted, counts the global and per-IP limits of the
/// method before its handler runs (answering 429 `RateLimitExceeded` at once when one is exceeded), gives the handler
/// a ``RateLimitScope`` for the limits it counts itself, and puts the `RateLimit-*` headers of the most restrictive
/// limit on every response, errors included, as the reference does.
///
/// It sits outside the ``XRPCErrorMiddleware``, so the errors it sees are XRPC errors already.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = PDSRequestContext

    /// The limits.
    let limits: RateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let nsid = request.xrpcMethod, nsid != "_health" else { return try await next(request, context) }
        let clientIP = limits.clientIP(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .xForwardedFor])
        if limits.bypasses(clientIP: clientIP, bypassHeader: request.headers[.rateLimitBypass]) {
            return try await next(request, context)
        }
        let ip = clientIP?.description
        let edge = limits.consumeByIP(nsid: nsid, clientIP: ip)
        if let edge, edge.isExceeded {
            return try XRPCError.rateLimitExceeded.response(adding: edge.headerFields(now: limits.now()))
        }
        var context = context
        let scope = limits.scope(nsid: nsid, clientIP: ip, edge: edge)
        context.rateLimit = scope
        do {
            var response = try await next(request, context)
            if let status = scope?.status ?? edge { add(status, to: &response) }
            return response
        } catch let error as any HTTPResponseError {
            guard let status = scope?.status ?? edge else { throw error }
            var response = try error.response(from: request, context: context)
            add(status, to: &response)
            return response
        }
    }

    private func add(_ status: RateLimitStatus, to response: inout Response) {
        for field in status.headerFields(now: limits.now()) { response.headers[field.name] = field.value }
    }
}
