import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// A row of `authorization_request` (reference migration 004): a pushed authorization request, then the sign-in
    /// it led to (`did`, `deviceId`) and the code it was answered with. `clientAuth` and `parameters` are JSON, as
    /// the reference writes them.
    package struct OAuthRequestRecord: Sendable, Equatable {
        package var id: String
        package var did: String?
        package var deviceId: String?
        package var clientId: String
        package var clientAuth: String
        package var parameters: String
        package var expiresAt: Date
        package var code: String?

        /// Creates a record.
        package init(
            id: String, did: String? = nil, deviceId: String? = nil, clientId: String, clientAuth: String,
            parameters: String, expiresAt: Date, code: String? = nil
        ) {
            self.id = id
            self.did = did
            self.deviceId = deviceId
            self.clientId = clientId
            self.clientAuth = clientAuth
            self.parameters = parameters
            self.expiresAt = expiresAt
            self.code = code
        }

        init(row: Row) throws {
            guard let expires = try? Datetime(row["expiresAt"] as String).date else {
                throw ServiceDBError.corruptRow("authorization_request.expiresAt")
            }
            self.init(
                id: row["id"], did: row["did"], deviceId: row["deviceId"], clientId: row["clientId"],
                clientAuth: row["clientAuth"], parameters: row["parameters"], expiresAt: expires, code: row["code"])
        }
    }

    /// Stores a new authorization request, first dropping expired ones.
    package func insertOAuthRequest(_ request: OAuthRequestRecord, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: #"DELETE FROM "authorization_request" WHERE "expiresAt" < ?"#, arguments: [Self.timestamp(now)])
            try db.execute(
                sql: """
                    INSERT INTO "authorization_request"
                    ("id", "did", "deviceId", "clientId", "clientAuth", "parameters", "expiresAt", "code")
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    request.id, request.did, request.deviceId, request.clientId, request.clientAuth,
                    request.parameters, Self.timestamp(request.expiresAt), request.code,
                ])
        }
    }

    /// The authorization request with this id, if any (expired ones included: the caller decides).
    package func oauthRequest(id: String) async throws -> OAuthRequestRecord? {
        try await pool.hoppingRead { db in
            try Row.fetchOne(db, sql: #"SELECT * FROM "authorization_request" WHERE "id" = ?"#, arguments: [id])
                .map(OAuthRequestRecord.init(row:))
        }
    }

    /// Records the sign-in and the code an authorization request was answered with.
    package func completeOAuthRequest(id: String, did: String, deviceId: String, code: String, expiresAt: Date)
        async throws
    {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: """
                    UPDATE "authorization_request" SET "did" = ?, "deviceId" = ?, "code" = ?, "expiresAt" = ?
                    WHERE "id" = ?
                    """,
                arguments: [did, deviceId, code, Self.timestamp(expiresAt), id])
        }
    }

    /// Takes (deletes and returns) the authorization request answered with `code`: a code is good once.
    package func consumeOAuthCode(_ code: String) async throws -> OAuthRequestRecord? {
        try await pool.hoppingWrite { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: #"SELECT * FROM "authorization_request" WHERE "code" = ? AND "code" IS NOT NULL"#,
                    arguments: [code])
            else { return nil }
            let record = try OAuthRequestRecord(row: row)
            try db.execute(sql: #"DELETE FROM "authorization_request" WHERE "id" = ?"#, arguments: [record.id])
            return record
        }
    }

    /// Deletes an authorization request (refused, expired or used).
    package func deleteOAuthRequest(id: String) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(sql: #"DELETE FROM "authorization_request" WHERE "id" = ?"#, arguments: [id])
        }
    }
}
