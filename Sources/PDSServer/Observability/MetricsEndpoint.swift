import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `GET /metrics`: the Prometheus text exposition of ``PDSMetrics`` (`PDS_METRICS_ENABLED`), behind
/// `Authorization: Bearer <PDS_METRICS_TOKEN>` when a token is set.
struct MetricsEndpoint: Sendable {
    /// The metrics.
    let metrics: PDSMetrics
    /// The state the gauges read at scrape time.
    let sources: MetricsSources
    /// `PDS_METRICS_TOKEN`.
    let token: String?

    /// Registers the route.
    /// - Parameters:
    ///   - router: the main router or the metrics port's own.
    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/metrics") { request, _ in self.respond(request) }
    }

    /// The exposition, or 401 without the token.
    func respond(_ request: Request) -> Response {
        if let token, !Self.authorized(request.headers[.authorization], token: token) {
            return Response(
                status: .unauthorized,
                headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: #"{"error":"AuthenticationRequired","message":"A metrics token is required"}"#)))
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.scrape(sources))))
    }

    /// Whether `header` is `Bearer <token>`, compared in constant time.
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst("Bearer ".utf8.count))
        let expected = Array(token.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The application serving only `/metrics` on `127.0.0.1:<port>` (`PDS_METRICS_PORT`), run in the main
    /// application's service group.
    /// - Parameters:
    ///   - port: the port.
    ///   - logger: the root logger.
    func application(port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        register(on: router)
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "swift-pds"),
            logger: logger)
    }
}
