import Hummingbird

extension ComAtprotoServer {
    /// Input of `com.atproto.server.resetPassword`.
    struct ResetPasswordInput: Decodable {
        var token: String
        var password: String
    }

    /// `com.atproto.server.resetPassword` (no auth; 50 per 5 minutes per IP): sets the password with a
    /// `reset_password` token, uses the token up and revokes every session of the account.
    func resetPassword(_ request: Request) async throws {
        let input = try await XRPCBody.decode(ResetPasswordInput.self, from: request)
        try await emailFlows.resetPassword(token: input.token, password: input.password)
    }
}
