import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// Input of `com.atproto.admin.disableInviteCodes`.
    struct DisableInviteCodesInput: Decodable {
        var codes: [String]?
        var accounts: [String]?
    }

    /// `com.atproto.admin.disableInviteCodes` (moderator): disables the given codes and every code created for the
    /// given accounts.
    /// - Throws: 400 `InvalidRequest` "cannot disable admin invite codes" when `accounts` names `admin`.
    func disableInviteCodes(_ request: Request) async throws {
        try await auth.moderator(request, lxm: "com.atproto.admin.disableInviteCodes")
        let input = try await XRPCBody.decode(DisableInviteCodesInput.self, from: request)
        let accounts = input.accounts ?? []
        if accounts.contains("admin") { throw XRPCError.invalidRequest("cannot disable admin invite codes") }
        try await serviceDB.disableInviteCodes(codes: input.codes ?? [], accounts: accounts)
    }
}
