import ATCore
import Foundation
import Logging
import Mailer
import ServiceDB

/// The email-token flows of `com.atproto.server` and `com.atproto.identity.requestPlcOperationSignature`: make the
/// token, mail it, and check it when it comes back (reference `account-manager.ts`).
///
/// Sending is awaited, as the reference does: when the SMTP server refuses or is down the request fails with a 500
/// (the cause logged with the server's reply) and the token already stored stays valid, so nothing about the
/// account is lost and a retry sends a fresh token. The password reset is the exception: it is queued
/// (``MailOutbox``), so its answer is the same for every address.
struct AccountEmailFlows: Sendable {
    /// Accounts and email tokens.
    let serviceDB: ServiceDB
    /// The account mailer.
    let mailer: ServerMailer
    /// The background queue of password-reset emails.
    let outbox: MailOutbox
    /// The wall clock (token creation and expiry).
    let now: @Sendable () -> Date

    static let noEmail = XRPCError.invalidRequest("account does not have an email address")

    /// Mails a `confirm_email` token to the account's address.
    func requestEmailConfirmation(_ account: AccountRecord) async throws {
        guard let email = account.email else { throw Self.noEmail }
        let token = try await serviceDB.createEmailToken(did: account.did, purpose: .confirmEmail, now: now())
        try await mailer.send(.confirmEmail(token: token), to: email)
    }

    /// Confirms the email with a `confirm_email` token; `email` must be the account's current address.
    func confirmEmail(_ account: AccountRecord, email: String, token: String) async throws {
        guard account.email == email.lowercased() else {
            throw XRPCError.invalidRequest("invalid email", name: "InvalidEmail")
        }
        try await serviceDB.confirmEmail(did: account.did, token: token, now: now())
    }

    /// Mails an `update_email` token when the current email is confirmed.
    /// - Returns: whether `updateEmail` will need a token.
    func requestEmailUpdate(_ account: AccountRecord) async throws -> Bool {
        guard let email = account.email else { throw Self.noEmail }
        guard account.emailConfirmedAt != nil else { return false }
        let token = try await serviceDB.createEmailToken(did: account.did, purpose: .updateEmail, now: now())
        try await mailer.send(.updateEmail(token: token), to: email)
        return true
    }

    /// Changes the email (unconfirmed afterwards); a token is required when the current email is confirmed.
    func updateEmail(_ account: AccountRecord, email: String, token: String?) async throws {
        guard Self.isPlausibleEmail(email) else {
            throw XRPCError.invalidRequest("This email address is not supported, please use a different email.")
        }
        if token == nil && account.emailConfirmedAt != nil {
            throw XRPCError.invalidRequest("confirmation token required", name: "TokenRequired")
        }
        do {
            try await serviceDB.updateEmail(did: account.did, email: email, token: token, now: now())
        } catch ServiceDBError.emailTaken {
            throw XRPCError.invalidRequest("This email address is already in use, please use a different email.")
        }
    }

    /// Queues a `reset_password` token for the account with this email, if there is one; nothing otherwise, with
    /// the same answer.
    func requestPasswordReset(email: String) async throws {
        guard let account = try await serviceDB.account(email: email.lowercased()), let address = account.email else {
            return
        }
        let token = try await serviceDB.createEmailToken(did: account.did, purpose: .resetPassword, now: now())
        outbox.enqueue(.resetPassword(handle: account.handle?.rawValue ?? address, token: token), to: address)
    }

    /// Sets a new password with a `reset_password` token: the token is used up and every session revoked.
    func resetPassword(token: String, password: String) async throws {
        guard password.count <= 256 else { throw XRPCError.invalidRequest("Invalid password length.") }
        // The token is checked before the scrypt work, and again in the write that uses it.
        _ = try await serviceDB.emailTokenOwner(purpose: .resetPassword, token: token, now: now())
        let hash = try await Password.offloaded { try Password.hash(password) }
        try await serviceDB.resetPassword(token: token, passwordScrypt: hash, now: now())
    }

    /// Mails a `delete_account` token.
    func requestAccountDelete(_ account: AccountRecord) async throws {
        guard let email = account.email else { throw Self.noEmail }
        let token = try await serviceDB.createEmailToken(did: account.did, purpose: .deleteAccount, now: now())
        try await mailer.send(.deleteAccount(token: token), to: email)
    }

    /// Mails a `plc_operation` token (checked and used up by `signPlcOperation` with
    /// `ServiceDB.consumeEmailToken`).
    func requestPlcOperationSignature(_ account: AccountRecord) async throws {
        guard let email = account.email else { throw Self.noEmail }
        let token = try await serviceDB.createEmailToken(did: account.did, purpose: .plcOperation, now: now())
        try await mailer.send(.plcOperation(token: token), to: email)
    }

    /// A syntactic check in place of the reference's `isEmailValid` (no disposable-domain list): one `@`, a
    /// non-empty local part, a dotted domain, no spaces or control characters, at most 254 characters.
    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let domain = parts[1]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else {
            return false
        }
        return !email.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || "<>()[],;:\\\"".unicodeScalars.contains($0) }
    }
}
