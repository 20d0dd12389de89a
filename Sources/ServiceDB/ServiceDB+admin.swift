import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// The accounts with these DIDs that exist (taken-down and deactivated ones included), in the order asked.
    package func accounts(dids: [DID]) async throws -> [AccountRecord] {
        guard !dids.isEmpty else { return [] }
        let found = try await pool.hoppingRead { db in
            try Row.fetchAll(
                db, sql: AccountRecord.selectSQL + " WHERE actor.did IN (\(Self.placeholders(dids.count)))",
                arguments: StatementArguments(dids.map(\.rawValue))
            ).map(AccountRecord.init(row:))
        }
        let byDID = Dictionary(found.map { ($0.did, $0) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<DID>()
        return dids.compactMap { did in seen.insert(did).inserted ? byDID[did] : nil }
    }

    /// The invite codes created for each of these accounts, with their uses (newest use first).
    /// - Returns: the codes by account DID; accounts without codes are absent.
    package func inviteCodes(forAccounts dids: [String]) async throws -> [String: [InviteCodeRecord]] {
        guard !dids.isEmpty else { return [:] }
        return try await pool.hoppingRead { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM invite_code WHERE forAccount IN (\(Self.placeholders(dids.count)))
                    ORDER BY createdAt DESC, code DESC
                    """,
                arguments: StatementArguments(dids))
            return Dictionary(grouping: try Self.inviteRecords(db, rows), by: \.forAccount)
        }
    }

    /// The invite code each of these accounts signed up with, with its uses.
    /// - Returns: the code by account DID; accounts created without a code are absent.
    package func invitedBy(dids: [String]) async throws -> [String: InviteCodeRecord] {
        guard !dids.isEmpty else { return [:] }
        return try await pool.hoppingRead { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM invite_code WHERE code IN (
                        SELECT DISTINCT code FROM invite_code_use WHERE usedBy IN (\(Self.placeholders(dids.count))))
                    """,
                arguments: StatementArguments(dids))
            var result: [String: InviteCodeRecord] = [:]
            for record in try Self.inviteRecords(db, rows) {
                for use in record.uses { result[use.usedBy] = record }
            }
            return result
        }
    }

    /// How `listInviteCodes` orders codes (both newest or most used first, then by code, descending).
    package enum InviteCodeOrder: Sendable {
        /// By creation time.
        case recent
        /// By number of uses.
        case usage
    }

    /// One page of every invite code, for `com.atproto.admin.getInviteCodes`.
    /// - Parameters:
    ///   - order: the sort.
    ///   - after: the last row of the previous page: its creation time (`recent`) or use count (`usage`), and code.
    ///   - limit: the page size.
    package func listInviteCodes(order: InviteCodeOrder, after: (primary: String, code: String)?, limit: Int)
        async throws -> [InviteCodeRecord]
    {
        try await pool.hoppingRead { db in
            let primary = order == .recent ? "createdAt" : "uses"
            var sql = """
                SELECT * FROM (
                    SELECT invite_code.*,
                           (SELECT count(*) FROM invite_code_use WHERE invite_code_use.code = invite_code.code) AS uses
                    FROM invite_code)
                """
            var arguments: StatementArguments = []
            if let after {
                sql += " WHERE \(primary) < ? OR (\(primary) = ? AND code < ?)"
                let value: any DatabaseValueConvertible = order == .recent ? after.primary : (Int(after.primary) ?? 0)
                arguments = [value, value, after.code]
            }
            sql += " ORDER BY \(primary) DESC, code DESC LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try Self.inviteRecords(db, try Row.fetchAll(db, sql: sql, arguments: arguments))
        }
    }

    /// Sets whether an account may create invite codes (`invitesDisabled`).
    package func setInvitesDisabled(did: DID, _ disabled: Bool) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: "UPDATE account SET invitesDisabled = ? WHERE did = ?",
                arguments: [disabled ? 1 : 0, did.rawValue])
        }
    }

    // MARK: - Helpers

    /// `?, ?, …` for an `IN` list.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Invite-code rows with their uses, newest use first, in the rows' order.
    static func inviteRecords(_ db: Database, _ rows: [Row]) throws -> [InviteCodeRecord] {
        let codes: [String] = rows.map { $0["code"] }
        var uses: [String: [(usedBy: String, usedAt: String)]] = [:]
        // SQLite's default limit on host parameters is 32766; stay well under it.
        for chunk in stride(from: 0, to: codes.count, by: 500).map({ Array(codes[$0..<min($0 + 500, codes.count)]) }) {
            let useRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT code, usedBy, usedAt FROM invite_code_use WHERE code IN (\(placeholders(chunk.count)))
                    ORDER BY usedAt DESC
                    """,
                arguments: StatementArguments(chunk))
            for row in useRows {
                uses[row["code"], default: []].append((usedBy: row["usedBy"], usedAt: row["usedAt"]))
            }
        }
        return rows.map { row in
            let code: String = row["code"]
            return InviteCodeRecord(
                code: code, available: row["availableUses"], disabled: ((row["disabled"] as Int?) ?? 0) != 0,
                forAccount: row["forAccount"], createdBy: row["createdBy"], createdAt: row["createdAt"],
                uses: uses[code] ?? [])
        }
    }
}
