import HTTPTypes
import Hummingbird
import Logging

/// Gives each request its id (Hummingbird's `hb.request.id`, the one its request logger carries) and writes one access
/// log line per request (as the reference's pino-http does): every log line written while the request is handled
/// carries the id (``RequestLogContext``, through the log handler's metadata provider, whatever logger wrote it), and
/// the response echoes it in `x-request-id`.
///
/// Registered first, so it wraps everything else: errors thrown by later middleware and handlers are turned into their
/// responses here so that those carry the header too. A client's own `x-request-id` is not trusted (it would let a
/// client forge the correlation of log lines); ours replaces it. The access line has the method, the path without its
/// query string (which could carry credentials), the status and the duration; never headers or bodies.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let id = context.logger[metadataKey: RequestLogContext.metadataKey]?.description ?? RequestID().description
        let start = ContinuousClock.now
        return try await RequestLogContext.$requestID.withValue(id) {
            var response: Response
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            } catch {
                log(request, status: 500, since: start, logger: context.logger)
                throw error
            }
            response.headers[.requestID] = id
            log(request, status: response.status.code, since: start, logger: context.logger)
            return response
        }
    }

    /// The access log line.
    private func log(_ request: Request, status: Int, since start: ContinuousClock.Instant, logger: Logger) {
        logger.info(
            "request completed",
            metadata: [
                "http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)",
                "http.status": "\(status)", "http.duration_ms": "\(Self.milliseconds(.now - start))",
            ])
    }

    /// `duration` in milliseconds with three decimals (`12.345`).
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        let fraction = String(micros % 1000)
        return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

extension HTTPField.Name {
    /// `x-request-id`: the request's id in the logs.
    static let requestID = Self("x-request-id")!
}

/// The request being handled by the current task, for the log handler's metadata provider.
package enum RequestLogContext {
    /// The id of the request the current task handles (`nil` outside requests).
    @TaskLocal package static var requestID: String?

    /// The metadata key of the request id in log lines (Hummingbird's, so its own request logger agrees).
    package static let metadataKey = "hb.request.id"

    /// Adds the current request's id to every log line (installed by `LoggingSystem.bootstrap` in `pds serve`).
    package static let metadataProvider = Logger.MetadataProvider {
        guard let id = requestID else { return [:] }
        return [metadataKey: .string(id)]
    }
}
