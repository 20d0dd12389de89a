import ATCore
import Foundation
import GRDB
import SQLiteSupport
import TestFixtures
import Testing

@testable import ServiceDB

@Suite struct ServiceDBTests {
    static let cid = try! CID("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq")
    static let rev = try! TID("3jzfcijpj2z2a")

    func newAccount(_ n: Int, invite: String? = nil) throws -> ServiceDB.NewAccount {
        ServiceDB.NewAccount(
            did: try DID("did:plc:account\(n)aaaaaaaaaaaaaaaa".prefix(32)), handle: try Handle("user\(n).test"),
            email: "User\(n)@Example.com", passwordScrypt: try Password.hash("password\(n)", salt: "00"), repoCID: Self.cid,
            repoRev: Self.rev, inviteCode: invite)
    }

    func withDB(_ body: (ServiceDB) async throws -> Void) async throws {
        try await withTemporaryDirectory { dir in
            try await body(try ServiceDB(url: dir.appendingPathComponent("account.sqlite")))
        }
    }

    @Test func createAndLookUpAccounts() async throws {
        try await withDB { db in
            let new = try newAccount(1)
            try await db.createAccount(new, refreshToken: .init(id: "r1", expiresAt: Date(timeIntervalSinceNow: 3600)))
            let byHandle = try #require(try await db.account(handle: try Handle("USER1.test")))
            #expect(byHandle.did == new.did)
            #expect(byHandle.email == "user1@example.com")
            #expect(byHandle.status == .active)
            #expect(try await db.account(identifier: "user1@EXAMPLE.com")?.did == new.did)
            #expect(try await db.account(identifier: new.did.rawValue)?.handle?.rawValue == "user1.test")
            #expect(try await db.refreshToken(id: "r1")?.did == new.did)
            let page = try await db.listAccounts(after: nil, limit: 10)
            #expect(page.map(\.account.did) == [new.did])
            #expect(page.first?.head == Self.cid.description)
        }
    }

    @Test func handlesAndEmailsAreUnique() async throws {
        try await withDB { db in
            try await db.createAccount(try newAccount(1), refreshToken: nil)
            var sameHandle = try newAccount(2)
            sameHandle.handle = try Handle("USER1.TEST")
            await #expect(throws: ServiceDBError.handleTaken) { try await db.createAccount(sameHandle, refreshToken: nil) }
            var sameEmail = try newAccount(3)
            sameEmail.email = "user1@example.COM"
            await #expect(throws: ServiceDBError.emailTaken) { try await db.createAccount(sameEmail, refreshToken: nil) }
            #expect(try await db.listAccounts(after: nil, limit: 10).count == 1)
        }
    }

    @Test func inviteCodesAreConsumed() async throws {
        try await withDB { db in
            try await db.createInviteCodes([("code-1", "admin")], useCount: 1, createdBy: "admin")
            await #expect(throws: ServiceDBError.inviteCodeUnavailable) {
                try await db.createAccount(try newAccount(1, invite: "nope"), refreshToken: nil)
            }
            try await db.createAccount(try newAccount(1, invite: "code-1"), refreshToken: nil)
            await #expect(throws: ServiceDBError.inviteCodeUnavailable) {
                try await db.createAccount(try newAccount(2, invite: "code-1"), refreshToken: nil)
            }
            let codes = try await db.inviteCodes(forAccount: "admin")
            #expect(codes.first?.uses.map(\.usedBy) == [try newAccount(1).did.rawValue])
            try await db.createInviteCodes([("code-2", "admin")], useCount: 5, createdBy: "admin")
            try await db.disableInviteCodes(codes: ["code-2"], accounts: [])
            await #expect(throws: ServiceDBError.inviteCodeUnavailable) {
                try await db.createAccount(try newAccount(3, invite: "code-2"), refreshToken: nil)
            }
        }
    }

    @Test func refreshTokenRotationHasAGracePeriod() async throws {
        try await withDB { db in
            let account = try newAccount(1)
            let now = Date()
            try await db.createAccount(account, refreshToken: .init(id: "t1", expiresAt: now.addingTimeInterval(90 * 86400)))
            let first = try #require(try await db.rotateRefreshToken(id: "t1", newID: "t2", newExpiresAt: now.addingTimeInterval(90 * 86400), now: now))
            #expect(first.nextID == "t2")
            // Reusing t1 inside the grace period yields the same successor.
            let again = try #require(try await db.rotateRefreshToken(id: "t1", newID: "t3", newExpiresAt: now.addingTimeInterval(90 * 86400), now: now))
            #expect(again.nextID == "t2")
            let old = try #require(try await db.refreshToken(id: "t1"))
            #expect(old.expiresAt <= ServiceDB.timestamp(now.addingTimeInterval(2 * 3600)))
            // After the grace period the old token is gone.
            let later = now.addingTimeInterval(3 * 3600)
            _ = try await db.rotateRefreshToken(id: "t2", newID: "t4", newExpiresAt: later.addingTimeInterval(86400), now: later)
            #expect(try await db.refreshToken(id: "t1") == nil)
            #expect(try await db.rotateRefreshToken(id: "t1", newID: "t5", newExpiresAt: later, now: later) == nil)
        }
    }

    @Test func appPasswords() async throws {
        try await withDB { db in
            let account = try newAccount(1)
            try await db.createAccount(account, refreshToken: nil)
            let (password, record) = try await db.createAppPassword(did: account.did, name: "phone", privileged: true)
            #expect(ServiceDB.looksLikeAppPassword(password))
            #expect(record.privileged)
            await #expect(throws: ServiceDBError.appPasswordExists) {
                _ = try await db.createAppPassword(did: account.did, name: "phone", privileged: false)
            }
            #expect(try await db.verifyAppPassword(did: account.did, password: password)?.name == "phone")
            #expect(try await db.verifyAppPassword(did: account.did, password: "aaaa-bbbb-cccc-dddd") == nil)
            try await db.storeRefreshToken(.init(id: "s1", expiresAt: Date(timeIntervalSinceNow: 60), appPasswordName: "phone"), did: account.did)
            try await db.revokeAppPassword(did: account.did, name: "phone")
            #expect(try await db.listAppPasswords(did: account.did).isEmpty)
            #expect(try await db.refreshToken(id: "s1") == nil)
        }
    }

    @Test func statusChanges() async throws {
        try await withDB { db in
            let account = try newAccount(1)
            try await db.createAccount(account, refreshToken: .init(id: "t", expiresAt: Date(timeIntervalSinceNow: 60)))
            try await db.deactivateAccount(did: account.did, deleteAfter: nil)
            #expect(try await db.account(did: account.did)?.status == .deactivated)
            try await db.activateAccount(did: account.did)
            try await db.setTakedown(did: account.did, ref: "mod-1")
            #expect(try await db.account(did: account.did)?.status == .takendown)
            #expect(try await db.refreshToken(id: "t") == nil)
            try await db.deleteAccount(did: account.did)
            #expect(try await db.account(did: account.did) == nil)
        }
    }

    /// A file with every migration the reference records opens without running anything again.
    @Test func opensAFileMigratedByTheReference() async throws {
        try await withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("account.sqlite")
            let queue = try DatabaseQueue(path: url.path)
            try await queue.write { db in
                for migration in ServiceSchema.migrator.migrations { try migration.apply(db) }
                try db.execute(sql: #"create table "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null)"#)
                try db.execute(sql: #"create table "kysely_migration_lock" ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null)"#)
                for name in ["001", "002", "003", "004", "005", "006", "007"] {
                    try db.execute(sql: "insert into kysely_migration values (?, '2024-01-01T00:00:00.000Z')", arguments: [name])
                }
                try db.execute(sql: "insert into actor (did, handle, createdAt) values ('did:plc:abcdefghijklmnopqrstuvwx', 'old.test', '2024-01-01T00:00:00.000Z')")
            }
            try queue.close()
            let db = try ServiceDB(url: url)
            #expect(try await db.account(handle: try Handle("old.test"))?.did.rawValue == "did:plc:abcdefghijklmnopqrstuvwx")
        }
    }
}
