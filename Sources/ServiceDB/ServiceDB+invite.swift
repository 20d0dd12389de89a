import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// An invite code with its uses.
    package struct InviteCodeRecord: Sendable, Equatable {
        package var code: String
        package var available: Int
        package var disabled: Bool
        package var forAccount: String
        package var createdBy: String
        package var createdAt: String
        package var uses: [(usedBy: String, usedAt: String)]

        package static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.code == rhs.code && lhs.available == rhs.available && lhs.disabled == rhs.disabled
                && lhs.forAccount == rhs.forAccount && lhs.createdBy == rhs.createdBy && lhs.createdAt == rhs.createdAt
                && lhs.uses.map(\.usedBy) == rhs.uses.map(\.usedBy)
        }
    }

    /// Creates invite codes.
    /// - Parameters:
    ///   - codes: the codes to create, each for an account (`admin` for codes not tied to one).
    ///   - useCount: how many accounts each code can create.
    ///   - createdBy: `admin` or the creating account's DID.
    package func createInviteCodes(_ codes: [(code: String, forAccount: String)], useCount: Int, createdBy: String,
        now: Date = Date()
    ) async throws {
        let createdAt = Self.timestamp(now)
        try await pool.hoppingWrite { db in
            for (code, forAccount) in codes {
                try db.execute(
                    sql: """
                        INSERT INTO invite_code (code, availableUses, disabled, forAccount, createdBy, createdAt)
                        VALUES (?, ?, 0, ?, ?, ?)
                        """,
                    arguments: [code, useCount, forAccount, createdBy, createdAt])
            }
        }
    }

    /// The invite codes created for an account, with their uses.
    package func inviteCodes(forAccount did: String) async throws -> [InviteCodeRecord] {
        try await pool.hoppingRead { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM invite_code WHERE forAccount = ? ORDER BY createdAt DESC, code",
                arguments: [did])
            return try rows.map { row in
                let code: String = row["code"]
                let uses = try Row.fetchAll(
                    db, sql: "SELECT usedBy, usedAt FROM invite_code_use WHERE code = ? ORDER BY usedAt",
                    arguments: [code]
                ).map { (usedBy: $0["usedBy"] as String, usedAt: $0["usedAt"] as String) }
                return InviteCodeRecord(
                    code: code, available: row["availableUses"], disabled: ((row["disabled"] as Int?) ?? 0) != 0,
                    forAccount: row["forAccount"], createdBy: row["createdBy"], createdAt: row["createdAt"], uses: uses)
            }
        }
    }

    /// Disables invite codes, by code or for whole accounts.
    package func disableInviteCodes(codes: [String], accounts: [String]) async throws {
        try await pool.hoppingWrite { db in
            for code in codes {
                try db.execute(sql: "UPDATE invite_code SET disabled = 1 WHERE code = ?", arguments: [code])
            }
            for account in accounts {
                try db.execute(sql: "UPDATE invite_code SET disabled = 1 WHERE forAccount = ?", arguments: [account])
            }
        }
    }

    /// A new code as the reference formats them: `<hostname with dashes>-xxxxx-xxxxx`.
    package static func generateInviteCode(hostname: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var rng = SystemRandomNumberGenerator()
        func part() -> String { String((0..<5).map { _ in alphabet[Int.random(in: 0..<32, using: &rng)] }) }
        return hostname.replacingOccurrences(of: ".", with: "-") + "-" + part() + "-" + part()
    }

    /// Checks that an invite code can be used now (createAccount checks before creating the DID; the insert
    /// checks again in its transaction).
    /// - Throws: `.inviteCodeUnavailable`.
    package func checkInviteCode(_ code: String) async throws {
        try await pool.hoppingRead { db in try Self.ensureInviteAvailable(db, code: code) }
    }

    /// Throws `.inviteCodeUnavailable` unless the code exists, is enabled, has uses left and its owner is not
    /// taken down.
    static func ensureInviteAvailable(_ db: Database, code: String) throws {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT invite_code.availableUses, invite_code.disabled, actor.takedownRef,
                           (SELECT count(*) FROM invite_code_use WHERE invite_code_use.code = invite_code.code) AS used
                    FROM invite_code LEFT JOIN actor ON actor.did = invite_code.forAccount
                    WHERE invite_code.code = ?
                    """,
                arguments: [code])
        else { throw ServiceDBError.inviteCodeUnavailable }
        let available: Int = row["availableUses"]
        let used: Int = row["used"]
        let disabled = ((row["disabled"] as Int?) ?? 0) != 0
        if disabled || used >= available || (row["takedownRef"] as String?) != nil {
            throw ServiceDBError.inviteCodeUnavailable
        }
    }
}
