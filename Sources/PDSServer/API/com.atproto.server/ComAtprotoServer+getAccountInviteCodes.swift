import ATCore
import Foundation
import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// Output of `com.atproto.server.getAccountInviteCodes`.
    struct GetAccountInviteCodesOutput: ResponseEncodable {
        var codes: [InviteCodeView]
    }

    /// The most unused codes an account holds at once when codes are earned over time.
    static let maxOpenInviteCodes = 5

    /// `com.atproto.server.getAccountInviteCodes` (FULL, takedown checked). With `PDS_INVITE_INTERVAL` set and
    /// `createAvailable` (default true), codes earned since the account was created (one per interval, counted from
    /// the later of creation and `PDS_INVITE_EPOCH`) are created first, keeping at most five unused codes.
    func getAccountInviteCodes(_ request: Request) async throws -> GetAccountInviteCodesOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, checkTakedown: true)
        let params = XRPCParameters(request)
        let includeUsed = try params.boolean("includeUsed") ?? true
        let createAvailable = try params.boolean("createAvailable") ?? true
        var codes = try await serviceDB.inviteCodes(forAccount: caller.did.rawValue)

        if createAvailable, let interval = invites.interval, let account = caller.account,
            !account.invitesDisabled, let created = (try? Datetime(account.createdAt))?.date
        {
            let start = max(created.timeIntervalSince1970 * 1000, Double(invites.epoch))
            let earned = max(0, Int((Date().timeIntervalSince1970 * 1000 - start) / Double(interval)))
            let open = codes.filter { !$0.disabled && $0.uses.count < $0.available }.count
            let toCreate = min(earned - codes.count, Self.maxOpenInviteCodes - open)
            if toCreate > 0 {
                let new = (0..<toCreate).map { _ in
                    (code: ServiceDB.generateInviteCode(hostname: service.hostname),
                     forAccount: caller.did.rawValue)
                }
                try await serviceDB.createInviteCodes(new, useCount: 1, createdBy: caller.did.rawValue)
                codes = try await serviceDB.inviteCodes(forAccount: caller.did.rawValue)
            }
        }
        if !includeUsed { codes = codes.filter { $0.uses.count < $0.available } }
        return GetAccountInviteCodesOutput(
            codes: codes.map {
                InviteCodeView(
                    code: $0.code, available: $0.available, disabled: $0.disabled, forAccount: $0.forAccount,
                    createdBy: $0.createdBy, createdAt: $0.createdAt,
                    uses: $0.uses.map { .init(usedBy: $0.usedBy, usedAt: $0.usedAt) })
            })
    }
}
