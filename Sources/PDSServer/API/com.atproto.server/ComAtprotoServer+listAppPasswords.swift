import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// Output of `com.atproto.server.listAppPasswords`.
    struct ListAppPasswordsOutput: ResponseEncodable {
        struct AppPassword: Codable {
            var name: String
            var createdAt: String
            var privileged: Bool
        }
        var passwords: [AppPassword]
    }

    /// `com.atproto.server.listAppPasswords` (STD).
    func listAppPasswords(_ request: Request) async throws -> ListAppPasswordsOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard)
        let records = try await serviceDB.listAppPasswords(did: caller.did)
        return ListAppPasswordsOutput(
            passwords: records.map { .init(name: $0.name, createdAt: $0.createdAt, privileged: $0.privileged) })
    }
}
