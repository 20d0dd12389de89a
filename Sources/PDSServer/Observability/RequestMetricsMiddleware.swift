import Hummingbird

/// Counts each request and its latency in ``PDSMetrics`` by endpoint and status class.
///
/// The endpoint label is bounded: an XRPC method's NSID when it is one of the embedded lexicons' methods (served
/// here or proxied), `unknown` for any other `/xrpc/` name, and a fixed name for the few other paths (`other` for the
/// rest), so that clients cannot grow the number of series.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where requests are counted.
    let metrics: PDSMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let endpoint = Self.endpoint(path: request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.recordRequest(endpoint: endpoint, status: response.status.code, duration: .now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(endpoint: endpoint, status: status, duration: .now - start)
            throw error
        }
    }

    /// The endpoint label of a request path.
    /// - Parameters:
    ///   - path: the request's path.
    static func endpoint(path: String) -> String {
        if let nsid = Request.xrpcMethod(path: path) {
            if nsid == "_health" { return "_health" }
            return XRPCMethodSchema(nsid: nsid) != nil ? nsid : "unknown"
        }
        switch path {
        case "/": return "/"
        case "/robots.txt": return "/robots.txt"
        case "/metrics": return "/metrics"
        case "/tls-check": return "/tls-check"
        default:
            if path.hasPrefix("/.well-known/") { return "/.well-known" }
            if path.hasPrefix("/plc/") || path == "/plc" { return "/plc" }
            return "other"
        }
    }
}
