import Hummingbird

/// `com.atproto.admin.defs#accountView`, as the reference's `formatAccountInfo` fills it for a PDS that manages
/// its own invites (no entryway): `invites`, `invitedBy` and `invitesDisabled` are always given.
///
/// - Note: `relatedRecords`, `inviteNote` and `threatSignatures` are never set, as in the reference.
package struct AccountView: Codable, Sendable {
    package var did: String
    /// The handle, or `handle.invalid` for an account without one.
    package var handle: String
    package var email: String?
    /// When the account was created.
    package var indexedAt: String
    /// The invite code the account signed up with.
    package var invitedBy: InviteCodeView?
    /// The codes created for the account.
    package var invites: [InviteCodeView]?
    package var invitesDisabled: Bool?
    package var emailConfirmedAt: String?
    package var deactivatedAt: String?
}

extension AccountView: ResponseEncodable {}
