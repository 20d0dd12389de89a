import ATCore
import Hummingbird
import ServiceDB

/// `GET /tls-check?domain=`: the route the reference's distribution adds for Caddy's on-demand TLS `ask`. A domain
/// gets 200 `{"success":true}` when it is this server's hostname or the handle of an account here under a service
/// domain, so Caddy asks for certificates only for names this server answers for.
struct TLSCheck: Sendable {
    /// `PDS_HOSTNAME`.
    let hostname: String
    /// The handle domains served here (`PDS_SERVICE_HANDLE_DOMAINS`).
    let serviceHandleDomains: [String]
    /// Accounts (handles).
    let serviceDB: ServiceDB

    /// Registers the route.
    func register(on router: Router<some RequestContext>) {
        router.get("/tls-check") { request, _ in try await check(request) }
    }

    /// The answer for the `domain` parameter: 400 when it is missing or not under a service domain, 404 when no
    /// account has it as its handle.
    func check(_ request: Request) async throws -> Response {
        guard let domain = request.uri.queryParameters.get("domain"), !domain.isEmpty else {
            throw XRPCError.invalidRequest("bad or missing domain query param")
        }
        let name = domain.lowercased()
        if name == hostname.lowercased() { return Self.success }
        let rules = HandleRules(serviceDomains: serviceHandleDomains)
        guard let handle = try? Handle(name), rules.isServiceHandle(handle) else {
            throw XRPCError.invalidRequest("handles are not provided on this domain")
        }
        guard try await serviceDB.account(handle: handle) != nil else {
            throw XRPCError.notFound("handle not found for this domain", name: XRPCErrorName.notFound)
        }
        return Self.success
    }

    /// `{"success":true}`.
    static var success: Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"success":true}"#)))
    }
}
