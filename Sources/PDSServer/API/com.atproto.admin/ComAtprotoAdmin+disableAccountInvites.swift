import ATCore
import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// Input of `com.atproto.admin.enableAccountInvites` and `disableAccountInvites`.
    struct AccountInvitesInput: Decodable {
        var account: String
        /// A note on the change (accepted, not stored, as in the reference).
        var note: String?
    }

    /// `com.atproto.admin.disableAccountInvites` (moderator): the account may no longer create invite codes
    /// (its existing codes stay usable; `disableInviteCodes` disables those).
    func disableAccountInvites(_ request: Request) async throws {
        try await setAccountInvitesDisabled(request, true, lxm: "com.atproto.admin.disableAccountInvites")
    }

    /// Sets `invitesDisabled` on the input's account (an account that does not exist is no error, as in the
    /// reference).
    /// - Throws: 400 `InvalidRequest` when `account` is not a DID.
    func setAccountInvitesDisabled(_ request: Request, _ disabled: Bool, lxm: String) async throws {
        try await auth.moderator(request, lxm: lxm)
        let input = try await XRPCBody.decode(AccountInvitesInput.self, from: request)
        guard let did = try? DID(input.account) else {
            throw XRPCError.invalidRequest("Input/account must be a valid did: \(input.account)")
        }
        try await serviceDB.setInvitesDisabled(did: did, disabled)
    }
}
