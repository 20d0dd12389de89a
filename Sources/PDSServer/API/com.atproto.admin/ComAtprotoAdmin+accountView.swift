import ATCore
import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// The views of `accounts`, in their order, with their invite codes and the code each signed up with.
    func accountViews(_ accounts: [AccountRecord]) async throws -> [AccountView] {
        let dids = accounts.map(\.did.rawValue)
        async let invites = serviceDB.inviteCodes(forAccounts: dids)
        async let invitedBy = serviceDB.invitedBy(dids: dids)
        let (codes, inviters) = try await (invites, invitedBy)
        return accounts.map { account in
            AccountView(
                did: account.did.rawValue, handle: account.handle?.rawValue ?? Handle.invalid.rawValue,
                email: account.email, indexedAt: account.createdAt,
                invitedBy: inviters[account.did.rawValue].map(InviteCodeView.init),
                invites: (codes[account.did.rawValue] ?? []).map(InviteCodeView.init),
                invitesDisabled: account.invitesDisabled, emailConfirmedAt: account.emailConfirmedAt,
                deactivatedAt: account.deactivatedAt)
        }
    }
}

extension InviteCodeView {
    /// The view of a stored code.
    init(_ record: ServiceDB.InviteCodeRecord) {
        self.init(
            code: record.code, available: record.available, disabled: record.disabled, forAccount: record.forAccount,
            createdBy: record.createdBy, createdAt: record.createdAt,
            uses: record.uses.map { .init(usedBy: $0.usedBy, usedAt: $0.usedAt) })
    }
}
