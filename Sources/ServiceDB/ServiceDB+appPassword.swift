import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// An app password's listing entry.
    package struct AppPasswordRecord: Sendable, Equatable {
        package var name: String
        package var createdAt: String
        package var privileged: Bool
    }

    /// Creates an app password.
    /// - Returns: the password (`xxxx-xxxx-xxxx-xxxx`), shown once, and its record.
    /// - Throws: `.appPasswordExists` when the name is taken.
    package func createAppPassword(did: DID, name: String, privileged: Bool, now: Date = Date()) async throws
        -> (password: String, record: AppPasswordRecord)
    {
        let password = Self.generateAppPassword()
        let hash = try await Password.offloaded { try Password.hashAppPassword(password, did: did) }
        let createdAt = Self.timestamp(now)
        try await pool.hoppingWrite { db in
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM app_password WHERE did = ? AND name = ?", arguments: [did.rawValue, name]) != nil
            {
                throw ServiceDBError.appPasswordExists
            }
            try db.execute(
                sql: "INSERT INTO app_password (did, name, passwordScrypt, createdAt, privileged) VALUES (?, ?, ?, ?, ?)",
                arguments: [did.rawValue, name, hash, createdAt, privileged ? 1 : 0])
        }
        return (password, AppPasswordRecord(name: name, createdAt: createdAt, privileged: privileged))
    }

    /// The account's app passwords, newest first.
    package func listAppPasswords(did: DID) async throws -> [AppPasswordRecord] {
        try await pool.hoppingRead { db in
            try Row.fetchAll(
                db, sql: "SELECT name, createdAt, privileged FROM app_password WHERE did = ? ORDER BY createdAt DESC",
                arguments: [did.rawValue]
            ).map { AppPasswordRecord(name: $0["name"], createdAt: $0["createdAt"], privileged: ($0["privileged"] as Int) != 0) }
        }
    }

    /// Revokes an app password and every session created with it.
    package func revokeAppPassword(did: DID, name: String) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(sql: "DELETE FROM app_password WHERE did = ? AND name = ?", arguments: [did.rawValue, name])
            try db.execute(
                sql: "DELETE FROM refresh_token WHERE did = ? AND appPasswordName = ?", arguments: [did.rawValue, name])
        }
    }

    /// The app password matching `password`, found by its deterministic per-DID hash.
    package func verifyAppPassword(did: DID, password: String) async throws -> AppPasswordRecord? {
        let hash = try await Password.offloaded { try Password.hashAppPassword(password, did: did) }
        return try await pool.hoppingRead { db in
            try Row.fetchOne(
                db, sql: "SELECT name, createdAt, privileged FROM app_password WHERE did = ? AND passwordScrypt = ?",
                arguments: [did.rawValue, hash]
            ).map { AppPasswordRecord(name: $0["name"], createdAt: $0["createdAt"], privileged: ($0["privileged"] as Int) != 0) }
        }
    }

    /// `xxxx-xxxx-xxxx-xxxx` from the base32 alphabet, as the reference generates them.
    static func generateAppPassword() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var rng = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String((0..<4).map { _ in alphabet[Int.random(in: 0..<32, using: &rng)] }) }
            .joined(separator: "-")
    }

    /// Whether a string has the shape of an app password (the reference checks this before trying one).
    package static func looksLikeAppPassword(_ password: String) -> Bool {
        let groups = password.split(separator: "-", omittingEmptySubsequences: false)
        return groups.count == 4 && groups.allSatisfy { $0.count == 4 && $0.allSatisfy { $0.isLetter || $0.isNumber } }
    }
}
