import Hummingbird
import Logging

extension ComAtprotoServer {
    /// Input of `com.atproto.server.deleteAccount`.
    struct DeleteAccountInput: Decodable {
        var did: String
        var password: String
        var token: String
    }

    /// `com.atproto.server.deleteAccount` (no auth: the body's password and `delete_account` token; 50 per 5 minutes
    /// per IP). See ``AccountDeleter``.
    func deleteAccount(_ request: Request, logger: Logger) async throws {
        let input = try await XRPCBody.decode(DeleteAccountInput.self, from: request)
        try await deleter.delete(did: input.did, password: input.password, token: input.token, logger: logger)
    }
}
