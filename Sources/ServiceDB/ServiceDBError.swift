/// Errors from the service database (`account.sqlite`).
package enum ServiceDBError: Error, Equatable, Sendable {
    /// A stored password hash is not `salt:hash`.
    case invalidPasswordHash
    /// The handle belongs to another account.
    case handleTaken
    /// The email belongs to another account.
    case emailTaken
    /// The DID already has an account.
    case accountExists
    /// No such account.
    case accountNotFound
    /// The invite code does not exist, is disabled or used up.
    case inviteCodeUnavailable
    /// An app password with this name exists.
    case appPasswordExists
    /// No email token matches the account, purpose and token.
    case emailTokenInvalid
    /// The email token is older than ``ServiceDB/emailTokenValidity``.
    case emailTokenExpired
    /// A stored row cannot be read (a column holds an invalid value).
    case corruptRow(String)
}
