/// `com.atproto.server.defs#inviteCode`: what the server answers for an invite code, and what the admin CLI reads.
package struct InviteCodeView: Codable, Sendable {
    /// `com.atproto.server.defs#inviteCodeUse`.
    package struct Use: Codable, Sendable {
        /// The DID of the account that used it.
        package var usedBy: String
        /// When.
        package var usedAt: String
    }
    /// The code.
    package var code: String
    /// Uses left.
    package var available: Int
    /// Whether it was disabled.
    package var disabled: Bool
    /// The account it was made for (`admin` for codes made with the admin password).
    package var forAccount: String
    /// Who made it.
    package var createdBy: String
    /// When.
    package var createdAt: String
    /// Its uses, newest first.
    package var uses: [Use]
}
