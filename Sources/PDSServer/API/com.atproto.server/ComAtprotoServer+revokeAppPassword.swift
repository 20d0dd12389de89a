import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// Input of `com.atproto.server.revokeAppPassword`.
    struct RevokeAppPasswordInput: Decodable {
        var name: String
    }

    /// `com.atproto.server.revokeAppPassword` (STD): also revokes the sessions created with it.
    func revokeAppPassword(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard)
        let input = try await XRPCBody.decode(RevokeAppPasswordInput.self, from: request)
        try await serviceDB.revokeAppPassword(did: caller.did, name: input.name)
    }
}
