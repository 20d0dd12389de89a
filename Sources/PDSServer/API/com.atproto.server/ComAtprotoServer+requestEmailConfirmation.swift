import ATCore
import Hummingbird

extension ComAtprotoServer {
    /// `com.atproto.server.requestEmailConfirmation` (STD, takedown checked; 15/day and 5/hour per DID): mails a
    /// `confirm_email` token to the account's address.
    func requestEmailConfirmation(_ request: Request, rateLimit: RateLimitScope?) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, checkTakedown: true, oauth: .account(.email, .manage))
        try rateLimit?.consume(subject: caller.did.rawValue)
        guard let account = caller.account else { throw XRPCError.invalidRequest("account not found") }
        try await emailFlows.requestEmailConfirmation(account)
    }
}
