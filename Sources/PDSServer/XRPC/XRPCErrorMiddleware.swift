import Hummingbird
import Logging

/// Turns every error that is not already an HTTP response error into a generic XRPC 500, logging the cause once.
///
/// The router's own `404` for a served method's path called with another HTTP method becomes the reference's 400
/// "Incorrect HTTP method (GET) expected POST" (``XRPCCatchall/checkMethod(_:for:)``).
struct XRPCErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as OAuthError {
            throw error  // the OAuth endpoints answer in OAuth's error format
        } catch let error as any HTTPResponseError where !(error is XRPCError) {
            if error.status == .notFound {
                guard let nsid = request.xrpcMethod else { throw error }
                if let schema = XRPCMethodSchema(nsid: nsid) {
                    try XRPCCatchall.checkMethod(request.method, for: schema)
                }
            }
            throw XRPCError(status: error.status, name: Self.name(for: error.status), message: nil)
        } catch {
            if let mapped = XRPCError.mapping(error) {
                if mapped.status.code >= 500 && !(error is XRPCError) {
                    context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                throw mapped
            }
            context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            throw XRPCError.internalServerError
        }
    }

    static func name(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: XRPCErrorName.invalidRequest
        case 401: XRPCErrorName.authenticationRequired
        case 403: XRPCErrorName.forbidden
        case 404: XRPCErrorName.notFound
        case 413: "PayloadTooLarge"
        case 429: "RateLimitExceeded"
        case 501: "MethodNotImplemented"
        case 503: "ServiceUnavailable"
        default: status.code >= 500 ? XRPCErrorName.internalServerError : XRPCErrorName.invalidRequest
        }
    }
}
