import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// What creating an account stores.
    package struct NewAccount: Sendable {
        package var did: DID
        package var handle: Handle
        package var email: String
        package var passwordScrypt: String
        package var repoCID: CID
        package var repoRev: TID
        package var inviteCode: String?
        /// Created deactivated (migrations, bring-your-own DIDs), with `deleteAfter`.
        package var deactivatedDeleteAfter: Date?

        package init(
            did: DID, handle: Handle, email: String, passwordScrypt: String, repoCID: CID, repoRev: TID,
            inviteCode: String? = nil, deactivatedDeleteAfter: Date? = nil
        ) {
            self.did = did
            self.handle = handle
            self.email = email
            self.passwordScrypt = passwordScrypt
            self.repoCID = repoCID
            self.repoRev = repoRev
            self.inviteCode = inviteCode
            self.deactivatedDeleteAfter = deactivatedDeleteAfter
        }
    }

    /// A refresh token row to store with a new session.
    package struct NewRefreshToken: Sendable {
        package var id: String
        package var expiresAt: Date
        package var appPasswordName: String?

        package init(id: String, expiresAt: Date, appPasswordName: String? = nil) {
            self.id = id
            self.expiresAt = expiresAt
            self.appPasswordName = appPasswordName
        }
    }

    /// Creates the account, its actor row, the repo-root mirror, the invite use and the first session in one
    /// transaction.
    /// - Throws: `.handleTaken`, `.emailTaken`, `.accountExists`, `.inviteCodeUnavailable`.
    package func createAccount(_ new: NewAccount, refreshToken: NewRefreshToken?, now: Date = Date()) async throws {
        let createdAt = Self.timestamp(now)
        try await pool.hoppingWrite { db in
            if let code = new.inviteCode { try Self.ensureInviteAvailable(db, code: code) }
            if try Self.handleOwner(db, new.handle) != nil { throw ServiceDBError.handleTaken }
            if try String.fetchOne(db, sql: "SELECT did FROM account WHERE lower(email) = lower(?)", arguments: [new.email])
                != nil
            {
                throw ServiceDBError.emailTaken
            }
            if try String.fetchOne(db, sql: "SELECT did FROM actor WHERE did = ?", arguments: [new.did.rawValue]) != nil {
                throw ServiceDBError.accountExists
            }
            try db.execute(
                sql: """
                    INSERT INTO actor (did, handle, createdAt, deactivatedAt, deleteAfter) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    new.did.rawValue, new.handle.rawValue, createdAt,
                    new.deactivatedDeleteAfter == nil ? nil : createdAt,
                    new.deactivatedDeleteAfter.map { Self.timestamp($0) },
                ])
            try db.execute(
                sql: "INSERT INTO account (did, email, passwordScrypt) VALUES (?, ?, ?)",
                arguments: [new.did.rawValue, new.email.lowercased(), new.passwordScrypt])
            try db.execute(
                sql: "INSERT INTO repo_root (did, cid, rev, indexedAt) VALUES (?, ?, ?, ?)",
                arguments: [new.did.rawValue, new.repoCID.description, new.repoRev.rawValue, createdAt])
            if let code = new.inviteCode {
                try db.execute(
                    sql: "INSERT INTO invite_code_use (code, usedBy, usedAt) VALUES (?, ?, ?)",
                    arguments: [code, new.did.rawValue, createdAt])
            }
            if let token = refreshToken {
                try Self.insertRefreshToken(db, token, did: new.did)
            }
        }
    }

    /// The account with this DID (taken-down and deactivated accounts included).
    package func account(did: DID) async throws -> AccountRecord? {
        try await pool.hoppingRead { db in
            // Cached: this runs on every authenticated request and every repo lookup.
            try Row.fetchOne(
                db.cachedStatement(sql: AccountRecord.selectSQL + " WHERE actor.did = ?"), arguments: [did.rawValue]
            ).map(AccountRecord.init(row:))
        }
    }

    /// The account with this handle (case-insensitive).
    package func account(handle: Handle) async throws -> AccountRecord? {
        try await pool.hoppingRead { db in
            try Row.fetchOne(
                db.cachedStatement(sql: AccountRecord.selectSQL + " WHERE lower(actor.handle) = lower(?)"),
                arguments: [handle.rawValue]
            ).map(AccountRecord.init(row:))
        }
    }

    /// The account with this email (case-insensitive).
    package func account(email: String) async throws -> AccountRecord? {
        try await pool.hoppingRead { db in
            try Row.fetchOne(
                db, sql: AccountRecord.selectSQL + " WHERE lower(account.email) = lower(?)", arguments: [email]
            ).map(AccountRecord.init(row:))
        }
    }

    /// The account a login identifier names: an email when it contains `@`, else a handle or a DID.
    package func account(identifier: String) async throws -> AccountRecord? {
        if identifier.contains("@") { return try await account(email: identifier) }
        return try await account(atIdentifier: identifier)
    }

    /// The account an AT identifier (a `repo` parameter: DID or handle) names, deactivated and taken-down accounts
    /// included.
    package func account(atIdentifier identifier: String) async throws -> AccountRecord? {
        if let did = try? DID(identifier) { return try await account(did: did) }
        if let handle = try? Handle(identifier) { return try await account(handle: handle) }
        return nil
    }

    /// Changes an account's handle.
    /// - Throws: `.handleTaken` when another account has it, `.accountNotFound`.
    package func updateHandle(did: DID, handle: Handle) async throws {
        try await pool.hoppingWrite { db in
            if let owner = try Self.handleOwner(db, handle), owner != did.rawValue { throw ServiceDBError.handleTaken }
            try db.execute(sql: "UPDATE actor SET handle = ? WHERE did = ?", arguments: [handle.rawValue, did.rawValue])
            if db.changesCount == 0 { throw ServiceDBError.accountNotFound }
        }
    }

    /// Deactivates an account (`deleteAfter` is stored, as the reference does).
    package func deactivateAccount(did: DID, deleteAfter: Date?, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: "UPDATE actor SET deactivatedAt = ?, deleteAfter = ? WHERE did = ?",
                arguments: [Self.timestamp(now), deleteAfter.map { Self.timestamp($0) }, did.rawValue])
        }
    }

    /// Reactivates an account.
    package func activateAccount(did: DID) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: "UPDATE actor SET deactivatedAt = NULL, deleteAfter = NULL WHERE did = ?", arguments: [did.rawValue])
        }
    }

    /// Sets or clears an account's takedown; a takedown also revokes every session, OAuth ones included.
    package func setTakedown(did: DID, ref: String?) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(sql: "UPDATE actor SET takedownRef = ? WHERE did = ?", arguments: [ref, did.rawValue])
            if ref != nil {
                try db.execute(sql: "DELETE FROM refresh_token WHERE did = ?", arguments: [did.rawValue])
                try db.execute(sql: #"DELETE FROM "token" WHERE "did" = ?"#, arguments: [did.rawValue])
            }
        }
    }

    /// Deletes every row of an account.
    package func deleteAccount(did: DID) async throws {
        try await pool.hoppingWrite { db in
            // OAuth sessions have no foreign key to the account (devices and approved clients cascade).
            for table in ["repo_root", "email_token", "refresh_token", "token", "app_password", "account", "actor"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE did = ?", arguments: [did.rawValue])
            }
        }
    }

    /// Changes the main password, revokes every session and drops a pending password-reset token (the reference's
    /// `updateAccountPassword`).
    package func updatePassword(did: DID, passwordScrypt: String) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: "UPDATE account SET passwordScrypt = ? WHERE did = ?", arguments: [passwordScrypt, did.rawValue])
            try db.execute(sql: "DELETE FROM refresh_token WHERE did = ?", arguments: [did.rawValue])
            try db.execute(
                sql: "DELETE FROM email_token WHERE did = ? AND purpose = 'reset_password'", arguments: [did.rawValue])
        }
    }

    /// Updates the mirror of an account's repo root.
    package func updateRepoRoot(did: DID, cid: CID, rev: TID, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO repo_root (did, cid, rev, indexedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT (did) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexedAt = excluded.indexedAt
                    """,
                arguments: [did.rawValue, cid.description, rev.rawValue, Self.timestamp(now)])
        }
    }

    /// Updates the repo-root mirror of several accounts in one transaction (the write path batches its updates).
    /// - Parameters:
    ///   - roots: each account's new root commit and rev.
    ///   - now: the `indexedAt` time.
    package func updateRepoRoots(_ roots: [(did: DID, cid: CID, rev: TID)], now: Date = Date()) async throws {
        guard !roots.isEmpty else { return }
        let indexedAt = Self.timestamp(now)
        try await pool.hoppingWrite { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO repo_root (did, cid, rev, indexedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT (did) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexedAt = excluded.indexedAt
                    """)
            for root in roots {
                try statement.execute(arguments: [root.did.rawValue, root.cid.description, root.rev.rawValue, indexedAt])
            }
        }
    }

    /// One page of accounts in creation order (for `sync.listRepos` and the admin CLI).
    /// - Returns: the accounts with their mirrored repo root, and the cursor for the next page.
    package func listAccounts(after cursor: (createdAt: String, did: String)?, limit: Int) async throws
        -> [(account: AccountRecord, head: String?, rev: String?)]
    {
        try await pool.hoppingRead { db in
            var sql = """
                SELECT actor.did, actor.handle, actor.createdAt, actor.takedownRef, actor.deactivatedAt,
                       actor.deleteAfter, account.email, account.emailConfirmedAt, account.invitesDisabled,
                       account.passwordScrypt, repo_root.cid AS head, repo_root.rev AS rev
                FROM actor LEFT JOIN account ON account.did = actor.did
                LEFT JOIN repo_root ON repo_root.did = actor.did
                """
            var arguments: StatementArguments = []
            if let cursor {
                sql += " WHERE actor.createdAt > ? OR (actor.createdAt = ? AND actor.did > ?)"
                arguments = [cursor.createdAt, cursor.createdAt, cursor.did]
            }
            sql += " ORDER BY actor.createdAt ASC, actor.did ASC LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                (try AccountRecord(row: row), row["head"] as String?, row["rev"] as String?)
            }
        }
    }

    static func handleOwner(_ db: Database, _ handle: Handle) throws -> String? {
        try String.fetchOne(db, sql: "SELECT did FROM actor WHERE lower(handle) = lower(?)", arguments: [handle.rawValue])
    }
}
