import HTTPTypes
import Hummingbird

/// Adds the current `DPoP-Nonce` to every answer to a DPoP request (XRPC methods called with an OAuth token, and
/// the OAuth endpoints), errors included, so that clients always hold a fresh nonce (RFC 9449 §8.2).
struct DPoPNonceMiddleware<Context: RequestContext>: RouterMiddleware {
    let nonces: DPoPNonces

    static var header: HTTPField.Name { HTTPField.Name("DPoP-Nonce")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let applies = request.headers[HTTPField.Name("DPoP")!] != nil || request.uri.path.hasPrefix("/oauth/")
        guard applies else { return try await next(request, context) }
        do {
            var response = try await next(request, context)
            if response.headers[Self.header] == nil { response.headers[Self.header] = nonces.current }
            return response
        } catch var error as XRPCError {
            error.headers[Self.header] = nonces.current
            error.headers[.accessControlExposeHeaders] = "DPoP-Nonce, WWW-Authenticate"
            throw error
        } catch let error as OAuthError {
            var response = try error.response(from: request, context: context)
            response.headers[Self.header] = nonces.current
            response.headers.append(contentsOf: OAuthHTTP.corsHeaders)
            return response
        }
    }
}
