import ATCore
import Hummingbird
import ServiceDB

/// `/.well-known/atproto-did`: the DID of the account whose handle is the request's host name, for handles under
/// the service domains.
struct WellKnown: Sendable {
    /// The handle domains served here (`PDS_SERVICE_HANDLE_DOMAINS`).
    let serviceHandleDomains: [String]
    /// Accounts (the handle's DID).
    let serviceDB: ServiceDB

    func register(on router: Router<some RequestContext>) {
        router.get("/.well-known/atproto-did") { request, _ in try await atprotoDID(request) }
    }

    func atprotoDID(_ request: Request) async throws -> Response {
        let notFound = HTTPError(.notFound, message: "User not found")
        let host = request.head.authority ?? ""
        let hostname = Self.stripPort(host)
        let rules = HandleRules(serviceDomains: serviceHandleDomains)
        guard let handle = try? Handle(hostname), rules.isServiceHandle(handle),
            let account = try await serviceDB.account(handle: handle)
        else { throw notFound }
        return BasicRoutes.text(account.did.rawValue)
    }

    /// `host[:port]` → `host` (IPv6 literals keep their brackets).
    static func stripPort(_ host: String) -> String {
        if host.hasPrefix("[") { return host }
        return String(host.split(separator: ":", maxSplits: 1).first ?? "")
    }
}
