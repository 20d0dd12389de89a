import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// A row of `token` (reference migrations 004 and 006): one OAuth session. `tokenId` is the current access
    /// token's `jti` and `currentRefreshToken` the one refresh token that may be used next; both change on every
    /// refresh. `clientAuth` and `parameters` are JSON as the reference writes them.
    package struct OAuthTokenRecord: Sendable, Equatable {
        package var id: Int64
        package var did: String
        package var tokenId: String
        package var createdAt: Date
        package var updatedAt: Date
        package var expiresAt: Date
        package var clientId: String
        package var clientAuth: String
        package var deviceId: String?
        package var parameters: String
        package var code: String?
        package var currentRefreshToken: String?
        package var scope: String?

        init(row: Row) throws {
            func date(_ column: String) throws -> Date {
                guard let value = try? Datetime(row[column] as String).date else {
                    throw ServiceDBError.corruptRow("token.\(column)")
                }
                return value
            }
            id = row["id"]
            did = row["did"]
            tokenId = row["tokenId"]
            createdAt = try date("createdAt")
            updatedAt = try date("updatedAt")
            expiresAt = try date("expiresAt")
            clientId = row["clientId"]
            clientAuth = row["clientAuth"]
            deviceId = row["deviceId"]
            parameters = row["parameters"]
            code = row["code"]
            currentRefreshToken = row["currentRefreshToken"]
            scope = row["scope"]
        }
    }

    /// What a new OAuth session is created with.
    package struct NewOAuthToken: Sendable {
        package var did: String
        package var tokenId: String
        package var refreshToken: String
        package var expiresAt: Date
        package var clientId: String
        package var clientAuth: String
        package var deviceId: String?
        package var parameters: String
        package var code: String?
        package var scope: String

        /// Creates the values.
        package init(
            did: String, tokenId: String, refreshToken: String, expiresAt: Date, clientId: String, clientAuth: String,
            deviceId: String?, parameters: String, code: String?, scope: String
        ) {
            self.did = did
            self.tokenId = tokenId
            self.refreshToken = refreshToken
            self.expiresAt = expiresAt
            self.clientId = clientId
            self.clientAuth = clientAuth
            self.deviceId = deviceId
            self.parameters = parameters
            self.code = code
            self.scope = scope
        }
    }

    /// What looking a refresh token up found.
    package enum OAuthRefreshLookup: Sendable, Equatable {
        /// The session whose current refresh token it is.
        case current(OAuthTokenRecord)
        /// An already-used refresh token: its session has now been revoked (replay detection).
        case replayed
        /// Unknown.
        case unknown
    }

    /// Stores a new OAuth session.
    package func insertOAuthToken(_ token: NewOAuthToken, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            let stamp = Self.timestamp(now)
            try db.execute(
                sql: """
                    INSERT INTO "token" ("did", "tokenId", "createdAt", "updatedAt", "expiresAt", "clientId",
                    "clientAuth", "deviceId", "parameters", "details", "code", "currentRefreshToken", "scope")
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)
                    """,
                arguments: [
                    token.did, token.tokenId, stamp, stamp, Self.timestamp(token.expiresAt), token.clientId,
                    token.clientAuth, token.deviceId, token.parameters, token.code, token.refreshToken, token.scope,
                ])
        }
    }

    /// The session whose current access token has this `jti`.
    package func oauthToken(tokenId: String) async throws -> OAuthTokenRecord? {
        try await pool.hoppingRead { db in
            try Row.fetchOne(db, sql: #"SELECT * FROM "token" WHERE "tokenId" = ?"#, arguments: [tokenId])
                .map(OAuthTokenRecord.init(row:))
        }
    }

    /// Finds the session a refresh token belongs to. A token that was already rotated away is a replay: the whole
    /// session (every token descended from it) is deleted, as the reference does.
    package func lookUpOAuthRefreshToken(_ refreshToken: String) async throws -> OAuthRefreshLookup {
        try await pool.hoppingWrite { db in
            if let row = try Row.fetchOne(
                db, sql: #"SELECT * FROM "token" WHERE "currentRefreshToken" = ?"#, arguments: [refreshToken])
            {
                return .current(try OAuthTokenRecord(row: row))
            }
            if let id = try Int64.fetchOne(
                db, sql: #"SELECT "tokenId" FROM "used_refresh_token" WHERE "refreshToken" = ?"#,
                arguments: [refreshToken])
            {
                try db.execute(sql: #"DELETE FROM "token" WHERE "id" = ?"#, arguments: [id])
                return .replayed
            }
            return .unknown
        }
    }

    /// Rotates a session: new access token id and refresh token (and the granted `scope`, when given), the old
    /// refresh token remembered as used.
    /// - Returns: `false` when `previousRefreshToken` is no longer the session's current one (a concurrent refresh
    ///   won, or the session was revoked).
    package func rotateOAuthToken(
        id: Int64, previousRefreshToken: String, newTokenId: String, newRefreshToken: String, expiresAt: Date,
        scope: String? = nil, now: Date = Date()
    ) async throws -> Bool {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: """
                    UPDATE "token" SET "tokenId" = ?, "currentRefreshToken" = ?, "expiresAt" = ?, "updatedAt" = ?,
                      "scope" = coalesce(?, "scope")
                    WHERE "id" = ? AND "currentRefreshToken" = ?
                    """,
                arguments: [
                    newTokenId, newRefreshToken, Self.timestamp(expiresAt), Self.timestamp(now), scope, id,
                    previousRefreshToken,
                ])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: #"INSERT INTO "used_refresh_token" ("refreshToken", "tokenId") VALUES (?, ?)"#,
                arguments: [previousRefreshToken, id])
            return true
        }
    }

    /// Deletes the session that issued `code`, if any (a second use of an authorization code revokes it).
    /// - Returns: whether a session was deleted.
    package func revokeOAuthToken(code: String) async throws -> Bool {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: #"DELETE FROM "token" WHERE "code" = ? AND "code" IS NOT NULL"#, arguments: [code])
            return db.changesCount > 0
        }
    }

    /// Deletes the session with this access token id or current refresh token (`/oauth/revoke`).
    /// - Returns: whether a session was deleted.
    package func revokeOAuthToken(tokenIdOrRefreshToken token: String) async throws -> Bool {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: #"DELETE FROM "token" WHERE "tokenId" = ? OR "currentRefreshToken" = ?"#,
                arguments: [token, token])
            return db.changesCount > 0
        }
    }

    /// Deletes one of an account's sessions by row id (the account page's revoke).
    /// - Returns: whether a session was deleted.
    package func revokeOAuthToken(id: Int64, did: String) async throws -> Bool {
        try await pool.hoppingWrite { db in
            try db.execute(sql: #"DELETE FROM "token" WHERE "id" = ? AND "did" = ?"#, arguments: [id, did])
            return db.changesCount > 0
        }
    }

    /// The account's OAuth sessions, most recently refreshed first (`expiresAt` is the access token's: the caller
    /// decides which sessions can still be refreshed).
    package func oauthTokens(did: String) async throws -> [OAuthTokenRecord] {
        try await pool.hoppingRead { db in
            try Row.fetchAll(
                db, sql: #"SELECT * FROM "token" WHERE "did" = ? ORDER BY "updatedAt" DESC"#, arguments: [did]
            ).map(OAuthTokenRecord.init(row:))
        }
    }
}
