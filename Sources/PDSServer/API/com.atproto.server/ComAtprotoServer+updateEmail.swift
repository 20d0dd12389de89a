import Hummingbird

extension ComAtprotoServer {
    /// Input of `com.atproto.server.updateEmail`.
    struct UpdateEmailInput: Decodable {
        var email: String
        var emailAuthFactor: Bool?
        var token: String?
    }

    /// `com.atproto.server.updateEmail` (FULL, takedown checked): the new address is stored unconfirmed and every
    /// email token of the account is dropped; 400 `TokenRequired` without a token when the email is confirmed.
    func updateEmail(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, checkTakedown: true)
        let input = try await XRPCBody.decode(UpdateEmailInput.self, from: request)
        guard let account = caller.account else { throw XRPCError.invalidRequest("account not found") }
        try await emailFlows.updateEmail(account, email: input.email, token: input.token)
    }
}
