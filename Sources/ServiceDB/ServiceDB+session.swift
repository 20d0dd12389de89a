import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// A stored refresh token.
    package struct RefreshTokenRecord: Sendable, Equatable {
        package var id: String
        package var did: DID
        package var expiresAt: String
        package var appPasswordName: String?
        package var nextId: String?
    }

    /// How long an already-used refresh token keeps working (the reference's reuse grace period).
    package static let refreshGracePeriod: TimeInterval = 2 * 3600

    /// Stores a refresh token.
    package func storeRefreshToken(_ token: NewRefreshToken, did: DID) async throws {
        try await pool.hoppingWrite { db in try Self.insertRefreshToken(db, token, did: did) }
    }

    /// The stored refresh token with this id.
    package func refreshToken(id: String) async throws -> RefreshTokenRecord? {
        try await pool.hoppingRead { db in
            try Row.fetchOne(db, sql: "SELECT * FROM refresh_token WHERE id = ?", arguments: [id]).map { row in
                guard let did = try? DID(row["did"] as String) else { throw ServiceDBError.corruptRow("refresh_token.did") }
                return RefreshTokenRecord(
                    id: row["id"], did: did, expiresAt: row["expiresAt"], appPasswordName: row["appPasswordName"],
                    nextId: row["nextId"])
            }
        }
    }

    /// Rotates a refresh token as the reference does: the old token's expiry is cut to at most the grace period,
    /// and reusing it within that period yields the same successor.
    /// - Parameters:
    ///   - id: the presented token's id.
    ///   - newID: the id to use when this token has no successor yet.
    ///   - newExpiresAt: the successor's expiry.
    /// - Returns: the successor's id and app-password name, or `nil` when the token was revoked.
    package func rotateRefreshToken(id: String, newID: String, newExpiresAt: Date, now: Date = Date()) async throws
        -> (nextID: String, appPasswordName: String?)?
    {
        try await pool.hoppingWrite { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM refresh_token WHERE id = ?", arguments: [id])
            else { return nil }
            let did: String = row["did"]
            try db.execute(
                sql: "DELETE FROM refresh_token WHERE did = ? AND expiresAt <= ?",
                arguments: [did, Self.timestamp(now)])
            let nextID: String = row["nextId"] ?? newID
            let graceEnd = Self.timestamp(now.addingTimeInterval(Self.refreshGracePeriod))
            let expiresAt: String = row["expiresAt"]
            try db.execute(
                sql: "UPDATE refresh_token SET expiresAt = ?, nextId = ? WHERE id = ?",
                arguments: [min(expiresAt, graceEnd), nextID, id])
            try db.execute(
                sql: """
                    INSERT INTO refresh_token (id, did, expiresAt, appPasswordName) VALUES (?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """,
                arguments: [nextID, did, Self.timestamp(newExpiresAt), row["appPasswordName"] as String?])
            return (nextID, row["appPasswordName"] as String?)
        }
    }

    /// Revokes one refresh token.
    package func deleteRefreshToken(id: String) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(sql: "DELETE FROM refresh_token WHERE id = ?", arguments: [id])
        }
    }

    static func insertRefreshToken(_ db: Database, _ token: NewRefreshToken, did: DID) throws {
        try db.execute(
            sql: "INSERT INTO refresh_token (id, did, expiresAt, appPasswordName) VALUES (?, ?, ?, ?)",
            arguments: [token.id, did.rawValue, timestamp(token.expiresAt), token.appPasswordName])
    }
}
