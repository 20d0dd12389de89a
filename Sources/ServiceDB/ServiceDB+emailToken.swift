import ATCore
import Foundation
import GRDB
import SQLiteSupport

/// What an email token is for (the reference's `email_token.purpose`).
package enum EmailTokenPurpose: String, Sendable, CaseIterable {
    case confirmEmail = "confirm_email"
    case updateEmail = "update_email"
    case resetPassword = "reset_password"
    case deleteAccount = "delete_account"
    case plcOperation = "plc_operation"
}

extension ServiceDB {
    /// How long an email token is valid after it was requested (the reference's 15 minutes).
    package static let emailTokenValidity: TimeInterval = 15 * 60

    /// Creates the account's token for `purpose`, replacing any earlier one for that purpose: `XXXXX-XXXXX`, ten
    /// base32 characters, upper case.
    /// - Parameters:
    ///   - did: the account.
    ///   - purpose: what it is for.
    ///   - now: when it was requested (its validity starts then).
    /// - Returns: the token.
    package func createEmailToken(did: DID, purpose: EmailTokenPurpose, now: Date = Date()) async throws -> String {
        let token = Self.generateEmailToken()
        let requestedAt = Self.timestamp(now)
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO email_token (purpose, did, token, requestedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT (purpose, did) DO UPDATE SET token = excluded.token, requestedAt = excluded.requestedAt
                    """,
                arguments: [purpose.rawValue, did.rawValue, token, requestedAt])
        }
        return token
    }

    /// Checks the account's token for `purpose` without using it up.
    /// - Throws: `.emailTokenInvalid` (no such token for this account and purpose), `.emailTokenExpired`.
    package func assertValidEmailToken(did: DID, purpose: EmailTokenPurpose, token: String, now: Date = Date())
        async throws
    {
        try await pool.hoppingRead { db in
            _ = try Self.validEmailToken(db, did: did, purpose: purpose, token: token, now: now)
        }
    }

    /// Checks and deletes the account's token for `purpose` in one transaction, so it works once
    /// (`signPlcOperation`).
    /// - Throws: `.emailTokenInvalid`, `.emailTokenExpired`.
    package func consumeEmailToken(did: DID, purpose: EmailTokenPurpose, token: String, now: Date = Date()) async throws
    {
        try await pool.hoppingWrite { db in
            _ = try Self.validEmailToken(db, did: did, purpose: purpose, token: token, now: now)
            try Self.deleteEmailToken(db, did: did.rawValue, purpose: purpose)
        }
    }

    /// Deletes the account's token for `purpose`, if any.
    package func deleteEmailToken(did: DID, purpose: EmailTokenPurpose) async throws {
        try await pool.hoppingWrite { db in try Self.deleteEmailToken(db, did: did.rawValue, purpose: purpose) }
    }

    /// Marks the email confirmed with a `confirm_email` token, using the token up.
    /// - Parameters:
    ///   - did: the account.
    ///   - token: the token from the email.
    ///   - now: the confirmation time.
    /// - Throws: `.emailTokenInvalid`, `.emailTokenExpired`.
    package func confirmEmail(did: DID, token: String, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            _ = try Self.validEmailToken(db, did: did, purpose: .confirmEmail, token: token, now: now)
            try Self.deleteEmailToken(db, did: did.rawValue, purpose: .confirmEmail)
            try db.execute(
                sql: "UPDATE account SET emailConfirmedAt = ? WHERE did = ?",
                arguments: [Self.timestamp(now), did.rawValue])
        }
    }

    /// Changes the email (stored lower-cased, unconfirmed) and deletes every email token of the account, after
    /// checking the `update_email` token when one is given (`admin.updateAccountEmail` gives none).
    /// - Throws: `.emailTokenInvalid`, `.emailTokenExpired`, `.emailTaken`, `.accountNotFound`.
    package func updateEmail(did: DID, email: String, token: String?, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            if let token { _ = try Self.validEmailToken(db, did: did, purpose: .updateEmail, token: token, now: now) }
            if let owner = try String.fetchOne(
                db, sql: "SELECT did FROM account WHERE lower(email) = lower(?)", arguments: [email]),
                owner != did.rawValue
            {
                throw ServiceDBError.emailTaken
            }
            try db.execute(
                sql: "UPDATE account SET email = ?, emailConfirmedAt = NULL WHERE did = ?",
                arguments: [email.lowercased(), did.rawValue])
            if db.changesCount == 0 { throw ServiceDBError.accountNotFound }
            try db.execute(sql: "DELETE FROM email_token WHERE did = ?", arguments: [did.rawValue])
        }
    }

    /// Sets a new password with a `reset_password` token (found by the token alone), using the token up and
    /// revoking every session.
    /// - Parameters:
    ///   - token: the token from the email.
    ///   - passwordScrypt: the new password's hash.
    ///   - now: the time the token's validity is checked at.
    /// - Returns: the account.
    /// - Throws: `.emailTokenInvalid`, `.emailTokenExpired`.
    @discardableResult
    package func resetPassword(token: String, passwordScrypt: String, now: Date = Date()) async throws -> DID {
        try await pool.hoppingWrite { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT did, requestedAt FROM email_token WHERE purpose = ? AND token = ?",
                    arguments: [EmailTokenPurpose.resetPassword.rawValue, token.uppercased()])
            else { throw ServiceDBError.emailTokenInvalid }
            try Self.checkNotExpired(row["requestedAt"], now: now)
            guard let did = try? DID(row["did"] as String) else { throw ServiceDBError.corruptRow("email_token.did") }
            try db.execute(
                sql: "UPDATE account SET passwordScrypt = ? WHERE did = ?", arguments: [passwordScrypt, did.rawValue])
            try Self.deleteEmailToken(db, did: did.rawValue, purpose: .resetPassword)
            try db.execute(sql: "DELETE FROM refresh_token WHERE did = ?", arguments: [did.rawValue])
            return did
        }
    }

    /// A new token: ten random base32 characters as `XXXXX-XXXXX`.
    package static func generateEmailToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var rng = SystemRandomNumberGenerator()
        let characters = (0..<10).map { _ in alphabet[Int.random(in: 0..<32, using: &rng)] }
        return String(characters[0..<5]) + "-" + String(characters[5..<10])
    }

    /// The stored token row matching (compared upper-cased), unexpired.
    static func validEmailToken(_ db: Database, did: DID, purpose: EmailTokenPurpose, token: String, now: Date) throws
        -> Row
    {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT requestedAt FROM email_token WHERE purpose = ? AND did = ? AND token = ?",
                arguments: [purpose.rawValue, did.rawValue, token.uppercased()])
        else { throw ServiceDBError.emailTokenInvalid }
        try checkNotExpired(row["requestedAt"], now: now)
        return row
    }

    static func checkNotExpired(_ requestedAt: String, now: Date) throws {
        guard let requested = try? Datetime(requestedAt).date else { throw ServiceDBError.corruptRow("email_token.requestedAt") }
        if now.timeIntervalSince(requested) >= emailTokenValidity { throw ServiceDBError.emailTokenExpired }
    }

    static func deleteEmailToken(_ db: Database, did: String, purpose: EmailTokenPurpose) throws {
        try db.execute(
            sql: "DELETE FROM email_token WHERE did = ? AND purpose = ?", arguments: [did, purpose.rawValue])
    }
}

extension ServiceDB {
    /// The account whose valid token for `purpose` this is (found by the token alone, as `resetPassword` does).
    /// - Throws: `.emailTokenInvalid`, `.emailTokenExpired`.
    package func emailTokenOwner(purpose: EmailTokenPurpose, token: String, now: Date = Date()) async throws -> DID {
        try await pool.hoppingRead { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT did, requestedAt FROM email_token WHERE purpose = ? AND token = ?",
                    arguments: [purpose.rawValue, token.uppercased()])
            else { throw ServiceDBError.emailTokenInvalid }
            try Self.checkNotExpired(row["requestedAt"], now: now)
            guard let did = try? DID(row["did"] as String) else { throw ServiceDBError.corruptRow("email_token.did") }
            return did
        }
    }
}

extension ServiceDB {
    /// The account's stored token for `purpose`, if any (for tests and the admin tools; flows check tokens with
    /// ``assertValidEmailToken(did:purpose:token:now:)``).
    package func storedEmailToken(did: DID, purpose: EmailTokenPurpose) async throws -> String? {
        try await pool.hoppingRead { db in
            try String.fetchOne(
                db, sql: "SELECT token FROM email_token WHERE did = ? AND purpose = ?",
                arguments: [did.rawValue, purpose.rawValue])
        }
    }
}
