import ATCore
import Foundation
import GRDB

/// An account as stored in `actor` joined with `account`.
package struct AccountRecord: Sendable, Equatable {
    /// The account's DID.
    package var did: DID
    /// The current handle, if any.
    package var handle: Handle?
    /// The email address (absent for actors without an `account` row).
    package var email: String?
    /// When the email was confirmed.
    package var emailConfirmedAt: String?
    /// When the account was created.
    package var createdAt: String
    /// A takedown reference when the account is taken down.
    package var takedownRef: String?
    /// When the account was deactivated.
    package var deactivatedAt: String?
    /// When a deactivated account may be deleted.
    package var deleteAfter: String?
    /// Whether the account may not create invite codes.
    package var invitesDisabled: Bool
    /// The stored scrypt hash of the main password.
    package var passwordScrypt: String?

    /// The account's status, as `#account` events and `getSession` report it.
    package var status: AccountStatus {
        if takedownRef != nil { return .takendown }
        if deactivatedAt != nil { return .deactivated }
        return .active
    }

    init(row: Row) throws {
        guard let did = try? DID(row["did"] as String) else { throw ServiceDBError.corruptRow("actor.did") }
        self.did = did
        self.handle = (row["handle"] as String?).flatMap { try? Handle($0) }
        self.email = row["email"]
        self.emailConfirmedAt = row["emailConfirmedAt"]
        self.createdAt = row["createdAt"]
        self.takedownRef = row["takedownRef"]
        self.deactivatedAt = row["deactivatedAt"]
        self.deleteAfter = row["deleteAfter"]
        self.invitesDisabled = (row["invitesDisabled"] as Int?) ?? 0 != 0
        self.passwordScrypt = row["passwordScrypt"]
    }

    static let selectSQL = """
        SELECT actor.did, actor.handle, actor.createdAt, actor.takedownRef, actor.deactivatedAt, actor.deleteAfter,
               account.email, account.emailConfirmedAt, account.invitesDisabled, account.passwordScrypt
        FROM actor LEFT JOIN account ON account.did = actor.did
        """
}

/// Whether an account can be used.
package enum AccountStatus: String, Sendable, Equatable {
    case active
    case takendown
    case deactivated
    case suspended
    case deleted
}
