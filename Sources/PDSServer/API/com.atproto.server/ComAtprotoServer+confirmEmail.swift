import Hummingbird

extension ComAtprotoServer {
    /// Input of `com.atproto.server.confirmEmail`.
    struct ConfirmEmailInput: Decodable {
        var email: String
        var token: String
    }

    /// `com.atproto.server.confirmEmail` (auth as `requestEmailConfirmation`): `email` must be the current address
    /// (400 `InvalidEmail`); the token is used up.
    func confirmEmail(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, checkTakedown: true, oauth: .account(.email, .manage))
        let input = try await XRPCBody.decode(ConfirmEmailInput.self, from: request)
        guard let account = caller.account else {
            throw XRPCError.invalidRequest("user not found", name: XRPCErrorName.accountNotFound)
        }
        try await emailFlows.confirmEmail(account, email: input.email, token: input.token)
    }
}
