import ATCore
import Hummingbird

extension ComAtprotoServer {
    /// Output of `com.atproto.server.requestEmailUpdate`.
    struct RequestEmailUpdateOutput: ResponseEncodable {
        var tokenRequired: Bool
    }

    /// `com.atproto.server.requestEmailUpdate` (FULL, takedown checked; 15/day and 5/hour per DID): mails an
    /// `update_email` token only when the current email is confirmed, and says whether `updateEmail` needs one.
    func requestEmailUpdate(_ request: Request, rateLimit: RateLimitScope?) async throws -> RequestEmailUpdateOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, checkTakedown: true)
        try rateLimit?.consume(subject: caller.did.rawValue)
        guard let account = caller.account else { throw XRPCError.invalidRequest("account not found") }
        return RequestEmailUpdateOutput(tokenRequired: try await emailFlows.requestEmailUpdate(account))
    }
}
