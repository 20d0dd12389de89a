import Hummingbird

extension ComAtprotoIdentity {
    /// `com.atproto.identity.requestPlcOperationSignature` (FULL, taken-down tokens allowed): mails a
    /// `plc_operation` token, which `signPlcOperation` checks and uses up.
    func requestPlcOperationSignature(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, allowTakendown: true, oauth: .identity("*"))
        guard let account = caller.account else { throw XRPCError.invalidRequest("account not found") }
        try await emailFlows.requestPlcOperationSignature(account)
    }
}
