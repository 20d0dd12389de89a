import Hummingbird

extension ComAtprotoAdmin {
    /// `com.atproto.admin.enableAccountInvites` (moderator): the account may create invite codes again.
    func enableAccountInvites(_ request: Request) async throws {
        try await setAccountInvitesDisabled(request, false, lxm: "com.atproto.admin.enableAccountInvites")
    }
}
