import HTTPTypes
import PDSServer

extension XRPCTestClient {
    /// Calls `com.atproto.admin.<method>` (or any `nsid` containing a dot) with the admin's Basic credentials: a GET
    /// with `query` when there is no `json`, else a POST of `json`.
    /// - Parameters:
    ///   - method: `getAccountInfo`, … or a full NSID (`com.atproto.server.createInviteCode`).
    ///   - services: the server's services (for the admin password).
    ///   - query: the query string, without `?`.
    ///   - json: the procedure input.
    package func admin(
        _ method: String, _ services: PDSServices, query: String = "", json: [String: Any]? = nil
    ) async throws -> XRPCReply {
        let nsid = method.contains(".") ? method : "com.atproto.admin.\(method)"
        return try await call(
            nsid, headers: [.authorization: try services.adminAuthorization()], query: query, json: json)
    }

    /// Creates an account with an invite code and returns its session.
    package func createAccount(handle: String, inviteCode: String, password: String = "password-123") async throws
        -> XRPCSession
    {
        let reply = try await call(
            "com.atproto.server.createAccount",
            json: [
                "handle": handle, "email": "\(handle)@example.com", "password": password, "inviteCode": inviteCode,
            ])
        guard reply.status == .ok else { throw UnexpectedReply(reply: reply) }
        return try reply.decode()
    }
}
