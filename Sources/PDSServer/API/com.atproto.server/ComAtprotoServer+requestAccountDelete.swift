import ATCore
import Hummingbird

extension ComAtprotoServer {
    /// `com.atproto.server.requestAccountDelete` (FULL, takedown checked; 15/day and 5/hour per DID): mails a
    /// `delete_account` token.
    func requestAccountDelete(_ request: Request, rateLimit: RateLimitScope?) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, checkTakedown: true)
        try rateLimit?.consume(subject: caller.did.rawValue)
        guard let account = caller.account else { throw XRPCError.invalidRequest("account not found") }
        try await emailFlows.requestAccountDelete(account)
    }
}
