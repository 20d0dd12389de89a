import ATCore
import Foundation
import GRDB
import ServiceDB
import TestFixtures
import Testing

/// The OAuth tables as the reference writes them: rows it wrote are read here, and the session rules hold.
@Suite struct ServiceDBOAuthTests {
    let base = ServiceDBTests()

    /// A `token` row exactly as the reference's `createQB` writes one (ISO dates, JSON columns).
    static let referenceRow = """
        INSERT INTO "token" ("did", "tokenId", "createdAt", "updatedAt", "expiresAt", "clientId", "clientAuth",
        "deviceId", "parameters", "details", "code", "currentRefreshToken", "scope")
        VALUES ('DID', 'tok-00112233445566778899aabbccddeeff', '2026-01-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z', '2099-01-01T01:00:00.000Z', 'https://app.example/client.json', '{"method":"none"}',
        'dev-00112233445566778899aabbccddeeff',
        '{"client_id":"https://app.example/client.json","response_type":"code","redirect_uri":"https://app.example/cb","scope":"atproto transition:generic","code_challenge":"x","code_challenge_method":"S256","dpop_jkt":"jkt"}',
        NULL, 'cod-1', 'ref-1', 'atproto transition:generic')
        """

    @Test func readsReferenceRowsRotatesAndDetectsReplay() async throws {
        try await withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("account.sqlite")
            let db = try ServiceDB(url: url)
            let account = try base.newAccount(1)
            try await db.createAccount(account, refreshToken: nil)
            let queue = try DatabaseQueue(path: url.path)
            try await queue.write {
                try $0.execute(
                    sql: Self.referenceRow.replacingOccurrences(of: "'DID'", with: "'\(account.did.rawValue)'"))
            }

            let found = try #require(try await db.oauthToken(tokenId: "tok-00112233445566778899aabbccddeeff"))
            #expect(found.did == account.did.rawValue && found.scope == "atproto transition:generic")
            #expect(found.clientAuth == #"{"method":"none"}"#)
            guard case .current(let current) = try await db.lookUpOAuthRefreshToken("ref-1") else {
                Issue.record("the reference's refresh token was not found")
                return
            }
            #expect(
                try await db.rotateOAuthToken(
                    id: current.id, previousRefreshToken: "ref-1", newTokenId: "tok-2", newRefreshToken: "ref-2",
                    expiresAt: Date(timeIntervalSinceNow: 3600)))
            // A second rotation from the same token loses (a concurrent refresh), and replaying it revokes.
            let lost = try await db.rotateOAuthToken(
                id: current.id, previousRefreshToken: "ref-1", newTokenId: "tok-3", newRefreshToken: "ref-3",
                expiresAt: Date(timeIntervalSinceNow: 3600))
            #expect(!lost)
            #expect(try await db.lookUpOAuthRefreshToken("ref-1") == .replayed)
            #expect(try await db.oauthToken(tokenId: "tok-2") == nil)
            #expect(try await db.lookUpOAuthRefreshToken("ref-2") == .unknown)
        }
    }

    @Test func takedownAndDeletionRevokeOAuthSessions() async throws {
        try await base.withDB { db in
            let account = try base.newAccount(1)
            try await db.createAccount(account, refreshToken: nil)
            let token = ServiceDB.NewOAuthToken(
                did: account.did.rawValue, tokenId: "tok-a", refreshToken: "ref-a",
                expiresAt: Date(timeIntervalSinceNow: 60),
                clientId: "http://localhost", clientAuth: #"{"method":"none"}"#, deviceId: nil, parameters: "{}",
                code: "cod-a", scope: "atproto")
            try await db.insertOAuthToken(token)
            try await db.setTakedown(did: account.did, ref: "mod-1")
            #expect(try await db.oauthToken(tokenId: "tok-a") == nil)
            try await db.setTakedown(did: account.did, ref: nil)
            var second = token
            (second.tokenId, second.refreshToken, second.code) = ("tok-b", "ref-b", "cod-b")
            try await db.insertOAuthToken(second)
            try await db.deleteAccount(did: account.did)
            #expect(try await db.oauthTokens(did: account.did.rawValue).isEmpty)
        }
    }
}
