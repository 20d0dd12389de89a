import ATCore
import Foundation
import TestFixtures
import Testing

@testable import ServiceDB

/// Email tokens as the reference keeps them: `XXXXX-XXXXX`, one per purpose and account, 15 minutes, compared
/// upper-cased, used up by the flow that checks them.
@Suite struct EmailTokenTests {
    func withAccount(_ body: (ServiceDB, DID) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            let db = try ServiceDB(url: dir.appendingPathComponent("account.sqlite"))
            let did = try DID("did:plc:emailtokenaaaaaaaaaaaaaa")
            try await db.createAccount(
                .init(
                    did: did, handle: try Handle("alice.test"), email: "alice@example.com",
                    passwordScrypt: try Password.hash("old", salt: "00"), repoCID: ServiceDBTests.cid,
                    repoRev: ServiceDBTests.rev),
                refreshToken: .init(id: "r1", expiresAt: Date(timeIntervalSinceNow: 3600)))
            try await body(db, did)
        }
    }

    @Test func formatIsTenBase32CharactersInTwoGroups() {
        for _ in 0..<100 {
            let token = ServiceDB.generateEmailToken()
            #expect(token.range(of: #"^[A-Z2-7]{5}-[A-Z2-7]{5}$"#, options: .regularExpression) != nil, "\(token)")
        }
    }

    @Test func oneTokenPerPurposeValidFifteenMinutesUsedOnce() async throws {
        try await withAccount { db, did in
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            let first = try await db.createEmailToken(did: did, purpose: .plcOperation, now: start)
            let second = try await db.createEmailToken(did: did, purpose: .plcOperation, now: start)
            await #expect(throws: ServiceDBError.emailTokenInvalid) {
                try await db.assertValidEmailToken(did: did, purpose: .plcOperation, token: first, now: start)
            }
            try await db.assertValidEmailToken(did: did, purpose: .plcOperation, token: second.lowercased(), now: start)
            await #expect(throws: ServiceDBError.emailTokenInvalid) {
                try await db.assertValidEmailToken(did: did, purpose: .deleteAccount, token: second, now: start)
            }
            await #expect(throws: ServiceDBError.emailTokenExpired) {
                try await db.consumeEmailToken(
                    did: did, purpose: .plcOperation, token: second, now: start.addingTimeInterval(15 * 60))
            }
            try await db.consumeEmailToken(
                did: did, purpose: .plcOperation, token: second, now: start.addingTimeInterval(15 * 60 - 1))
            await #expect(throws: ServiceDBError.emailTokenInvalid) {
                try await db.consumeEmailToken(did: did, purpose: .plcOperation, token: second, now: start)
            }
        }
    }

    @Test func resetPasswordUsesTheTokenAndRevokesSessions() async throws {
        try await withAccount { db, did in
            let token = try await db.createEmailToken(did: did, purpose: .resetPassword)
            #expect(try await db.emailTokenOwner(purpose: .resetPassword, token: token) == did)
            let hash = try Password.hash("new", salt: "01")
            #expect(try await db.resetPassword(token: token, passwordScrypt: hash) == did)
            #expect(try await db.account(did: did)?.passwordScrypt == hash)
            #expect(try await db.refreshToken(id: "r1") == nil)
            await #expect(throws: ServiceDBError.emailTokenInvalid) {
                try await db.resetPassword(token: token, passwordScrypt: hash)
            }
        }
    }

    @Test func updatingTheEmailDropsEveryToken() async throws {
        try await withAccount { db, did in
            let confirm = try await db.createEmailToken(did: did, purpose: .confirmEmail)
            try await db.confirmEmail(did: did, token: confirm)
            #expect(try await db.account(did: did)?.emailConfirmedAt != nil)
            let update = try await db.createEmailToken(did: did, purpose: .updateEmail)
            _ = try await db.createEmailToken(did: did, purpose: .deleteAccount)
            try await db.updateEmail(did: did, email: "New@Example.com", token: update)
            let account = try #require(try await db.account(did: did))
            #expect(account.email == "new@example.com" && account.emailConfirmedAt == nil)
            for purpose in EmailTokenPurpose.allCases {
                #expect(try await db.storedEmailToken(did: did, purpose: purpose) == nil)
            }
        }
    }
}
