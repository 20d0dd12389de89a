import Hummingbird

extension ComAtprotoServer {
    /// Input of `com.atproto.server.requestPasswordReset`.
    struct RequestPasswordResetInput: Decodable {
        var email: String
    }

    /// `com.atproto.server.requestPasswordReset` (no auth; 50/day and 15/hour per IP): queues a `reset_password`
    /// token for the account with this email (taken-down and deactivated ones included).
    ///
    /// - Note: The reference answers an unknown address with 400 "account does not have an email address"; here
    ///   every address gets the same empty 200, at once (the email is sent in the background), so the method cannot
    ///   tell which addresses have accounts.
    func requestPasswordReset(_ request: Request) async throws {
        let input = try await XRPCBody.decode(RequestPasswordResetInput.self, from: request)
        try await emailFlows.requestPasswordReset(email: input.email)
    }
}
