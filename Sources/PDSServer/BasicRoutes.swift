import Hummingbird
import ServiceDB

/// Non-XRPC routes: the banner, `robots.txt` and `/xrpc/_health`.
struct BasicRoutes: Sendable {
    let configuration: PDSConfiguration
    let serviceDB: ServiceDB

    /// Output of `/xrpc/_health`.
    struct HealthOutput: ResponseEncodable, Equatable {
        var version: String
        var error: String?
    }

    static let robots = "# Hello!\n\n# Crawling the public API is allowed\nUser-agent: *\nAllow: /\n"

    func register(on router: Router<some RequestContext>) {
        router.get("/") { _, _ in
            Self.text(
                "This is an AT Protocol Personal Data Server (PDS), written in Swift.\n\n"
                    + "Most API routes are under /xrpc/\n")
        }
        router.get("/robots.txt") { _, _ in Self.text(Self.robots) }
        router.get("/xrpc/_health") { _, _ in
            do {
                try await serviceDB.ping()
                return EditedResponse(status: .ok, response: HealthOutput(version: configuration.service.version))
            } catch {
                return EditedResponse(
                    status: .serviceUnavailable,
                    response: HealthOutput(version: configuration.service.version, error: "Service Unavailable"))
            }
        }
    }

    static func text(_ body: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
