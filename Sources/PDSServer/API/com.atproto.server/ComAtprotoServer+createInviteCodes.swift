import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// Input of `com.atproto.server.createInviteCodes`.
    struct CreateInviteCodesInput: Decodable {
        var codeCount: Int?
        var useCount: Int
        var forAccounts: [String]?
    }

    /// Output of `com.atproto.server.createInviteCodes`.
    struct CreateInviteCodesOutput: ResponseEncodable {
        struct AccountCodes: Codable {
            var account: String
            var codes: [String]
        }
        var codes: [AccountCodes]
    }

    /// `com.atproto.server.createInviteCodes` (admin Basic auth): `codeCount` codes for each account.
    func createInviteCodes(_ request: Request) async throws -> CreateInviteCodesOutput {
        try auth.admin(request)
        let input = try await XRPCBody.decode(CreateInviteCodesInput.self, from: request)
        let codeCount = input.codeCount ?? 1
        guard input.useCount >= 1 else { throw XRPCError.invalidRequest("useCount must be at least 1") }
        guard (1...1000).contains(codeCount) else { throw XRPCError.invalidRequest("codeCount must be 1 to 1000") }
        let accounts = try (input.forAccounts ?? ["admin"]).map { raw throws(XRPCError) in try Self.inviteAccount(raw) }
        var output: [CreateInviteCodesOutput.AccountCodes] = []
        var rows: [(code: String, forAccount: String)] = []
        for account in accounts.isEmpty ? ["admin"] : accounts {
            let codes = (0..<codeCount).map { _ in ServiceDB.generateInviteCode(hostname: service.hostname) }
            rows += codes.map { ($0, account) }
            output.append(.init(account: account, codes: codes))
        }
        try await serviceDB.createInviteCodes(rows, useCount: input.useCount, createdBy: "admin")
        return CreateInviteCodesOutput(codes: output)
    }
}
