import ATCore
import Foundation
import GRDB
import SQLiteSupport

extension ServiceDB {
    /// A browser that signed in on the authorization pages (`device`, reference migration 004), with the session id
    /// its cookie carries.
    package struct OAuthDeviceRecord: Sendable, Equatable {
        package var id: String
        package var sessionId: String
        package var userAgent: String?
        package var ipAddress: String
        package var lastSeenAt: Date
    }

    /// Stores a new device.
    package func insertOAuthDevice(
        id: String, sessionId: String, userAgent: String?, ipAddress: String, now: Date = Date()
    )
        async throws
    {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO "device" ("id", "sessionId", "userAgent", "ipAddress", "lastSeenAt") VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [id, sessionId, userAgent, ipAddress, Self.timestamp(now)])
        }
    }

    /// The device with this id.
    package func oauthDevice(id: String) async throws -> OAuthDeviceRecord? {
        try await pool.hoppingRead { db in
            try Row.fetchOne(db, sql: #"SELECT * FROM "device" WHERE "id" = ?"#, arguments: [id]).map { row in
                guard let seen = try? Datetime(row["lastSeenAt"] as String).date else {
                    throw ServiceDBError.corruptRow("device.lastSeenAt")
                }
                return OAuthDeviceRecord(
                    id: row["id"], sessionId: row["sessionId"], userAgent: row["userAgent"],
                    ipAddress: row["ipAddress"], lastSeenAt: seen)
            }
        }
    }

    /// Notes that the device was seen now.
    package func touchOAuthDevice(id: String, userAgent: String?, ipAddress: String, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: #"UPDATE "device" SET "userAgent" = ?, "ipAddress" = ?, "lastSeenAt" = ? WHERE "id" = ?"#,
                arguments: [userAgent, ipAddress, Self.timestamp(now), id])
        }
    }

    /// Records that `did` signed in on the device (`account_device`, reference migration 005).
    package func upsertAccountDevice(did: String, deviceId: String, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            let stamp = Self.timestamp(now)
            try db.execute(
                sql: """
                    INSERT INTO "account_device" ("did", "deviceId", "createdAt", "updatedAt") VALUES (?, ?, ?, ?)
                    ON CONFLICT ("deviceId", "did") DO UPDATE SET "updatedAt" = excluded."updatedAt"
                    """,
                arguments: [did, deviceId, stamp, stamp])
        }
    }

    /// When `did` last signed in on the device, or `nil` when it is not signed in there.
    package func accountDeviceSignIn(did: String, deviceId: String) async throws -> Date? {
        try await pool.hoppingRead { db in
            try String.fetchOne(
                db, sql: #"SELECT "updatedAt" FROM "account_device" WHERE "did" = ? AND "deviceId" = ?"#,
                arguments: [did, deviceId]
            ).flatMap { try? Datetime($0).date }
        }
    }

    /// The accounts signed in on the device.
    package func accountsOnDevice(deviceId: String) async throws -> [String] {
        try await pool.hoppingRead { db in
            try String.fetchAll(
                db, sql: #"SELECT "did" FROM "account_device" WHERE "deviceId" = ? ORDER BY "updatedAt" DESC"#,
                arguments: [deviceId])
        }
    }

    /// The devices `did` is signed in on, with when it last signed in there.
    package func devicesOfAccount(did: String) async throws -> [(device: OAuthDeviceRecord, signedInAt: Date)] {
        try await pool.hoppingRead { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.*, ad."updatedAt" AS "signedInAt" FROM "account_device" ad
                    JOIN "device" d ON d."id" = ad."deviceId" WHERE ad."did" = ? ORDER BY ad."updatedAt" DESC
                    """,
                arguments: [did]
            ).map { row in
                guard let seen = try? Datetime(row["lastSeenAt"] as String).date,
                    let signedIn = try? Datetime(row["signedInAt"] as String).date
                else { throw ServiceDBError.corruptRow("device.lastSeenAt") }
                let device = OAuthDeviceRecord(
                    id: row["id"], sessionId: row["sessionId"], userAgent: row["userAgent"],
                    ipAddress: row["ipAddress"], lastSeenAt: seen)
                return (device, signedIn)
            }
        }
    }

    /// Signs `did` out of the device.
    package func deleteAccountDevice(did: String, deviceId: String) async throws {
        try await pool.hoppingWrite { db in
            try db.execute(
                sql: #"DELETE FROM "account_device" WHERE "did" = ? AND "deviceId" = ?"#, arguments: [did, deviceId])
        }
    }

    /// The scopes `did` has already approved for the client (`authorized_client.data.authorizedScopes`), or `nil`.
    package func authorizedClientData(did: String, clientId: String) async throws -> String? {
        try await pool.hoppingRead { db in
            try String.fetchOne(
                db, sql: #"SELECT "data" FROM "authorized_client" WHERE "did" = ? AND "clientId" = ?"#,
                arguments: [did, clientId])
        }
    }

    /// Records the client's approval data (JSON) for `did`.
    package func upsertAuthorizedClient(did: String, clientId: String, data: String, now: Date = Date()) async throws {
        try await pool.hoppingWrite { db in
            let stamp = Self.timestamp(now)
            try db.execute(
                sql: """
                    INSERT INTO "authorized_client" ("did", "clientId", "createdAt", "updatedAt", "data")
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT ("did", "clientId") DO UPDATE SET "updatedAt" = excluded."updatedAt", "data" = excluded."data"
                    """,
                arguments: [did, clientId, stamp, stamp, data])
        }
    }
}
