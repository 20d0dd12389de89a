import ATCore
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Identity
import PDSTestSupport
import Sequencer
import ServiceDB
import Testing

@testable import PDSServer

/// `com.atproto.admin.getAccountInfo(s)`, `updateAccountEmail`, `updateAccountHandle`, `updateAccountPassword`.
@Suite struct ComAtprotoAdminAccountTests {
    @Test func accountInfoIsTheReferenceAccountView() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(["PDS_INVITE_REQUIRED": "true"], dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let invite = try await xrpc.admin(
                    "com.atproto.server.createInviteCode", services, json: ["useCount": 2])
                let code = try #require(invite.json["code"] as? String)
                let alice = try await xrpc.createAccount(handle: "alice.test", inviteCode: code)
                let bob = try await xrpc.createAccount(handle: "bob.test", inviteCode: code)
                let mine = try await xrpc.admin(
                    "com.atproto.server.createInviteCodes", services,
                    json: ["codeCount": 1, "useCount": 1, "forAccounts": [alice.did]])
                #expect(mine.status == .ok, "\(mine.text)")

                let reply = try await xrpc.admin("getAccountInfo", services, query: "did=\(alice.did)")
                #expect(reply.status == .ok, "\(reply.text)")
                #expect(reply.headers[.cacheControl] == "private")
                let view = try reply.decode(AccountView.self)
                #expect(view.did == alice.did && view.handle == "alice.test")
                #expect(view.email == "alice.test@example.com")
                #expect(view.emailConfirmedAt == nil && view.deactivatedAt == nil)
                #expect(view.invitesDisabled == false)
                #expect((try? Datetime(view.indexedAt)) != nil)
                #expect(view.invitedBy?.code == code)
                #expect(Set(view.invitedBy?.uses.map(\.usedBy) ?? []) == [alice.did, bob.did])
                #expect(view.invites?.count == 1)
                #expect(view.invites?.first?.forAccount == alice.did && view.invites?.first?.createdBy == "admin")

                let unknown = try await xrpc.admin(
                    "getAccountInfo", services, query: "did=did:plc:unknownunknownunknown00")
                #expect(unknown.status == .badRequest && unknown.error == "NotFound", "\(unknown.text)")
                #expect(unknown.json["message"] as? String == "Account not found")

                let infos = try await xrpc.admin(
                    "getAccountInfos", services,
                    query: "dids=\(bob.did)&dids=did:plc:unknownunknownunknown00&dids=\(alice.did)")
                #expect(infos.status == .ok, "\(infos.text)")
                let views = try infos.decode(ComAtprotoAdmin.GetAccountInfosOutput.self).infos
                #expect(views.map(\.did) == [bob.did, alice.did])
                #expect(views.first?.invites?.isEmpty == true)
            }
        }
    }

    @Test func accountInfoNeedsTheAdmin() async throws {
        try await TestApplication.withAccount(handle: "carol.test") { _, _, xrpc, carol in
            let missing = try await xrpc.call("com.atproto.admin.getAccountInfo", query: "did=\(carol.did)")
            #expect(missing.status == .unauthorized, "\(missing.text)")
            let wrong = "Basic " + Data("admin:wrong".utf8).base64EncodedString()
            let refused = try await xrpc.call(
                "com.atproto.admin.getAccountInfo", headers: [.authorization: wrong], query: "did=\(carol.did)")
            #expect(refused.status == .unauthorized && refused.error == "AuthenticationRequired", "\(refused.text)")
            // A user's access token is a Bearer token: the moderator verifier reads it as a (refused) service JWT.
            let user = try await xrpc.call(
                "com.atproto.admin.getAccountInfo", token: carol.accessJwt, query: "did=\(carol.did)")
            #expect(user.status == .unauthorized && user.error == "UntrustedIss", "\(user.text)")
        }
    }

    @Test func takenDownAndDeactivatedAccountsAreDescribed() async throws {
        try await TestApplication.withAccount(handle: "dan.test") { _, services, xrpc, dan in
            let takedown = try await xrpc.admin(
                "updateSubjectStatus", services,
                json: [
                    "subject": ["$type": "com.atproto.admin.defs#repoRef", "did": dan.did],
                    "takedown": ["applied": true, "ref": "t1"],
                    "deactivated": ["applied": true],
                ])
            #expect(takedown.status == .ok, "\(takedown.text)")
            let view = try await xrpc.admin("getAccountInfo", services, query: "did=\(dan.did)")
                .decode(AccountView.self)
            #expect(view.deactivatedAt != nil)
        }
    }

    @Test func updateAccountEmail() async throws {
        try await TestApplication.withAccount(handle: "erin.test") { _, services, xrpc, erin in
            _ = try await xrpc.createAccount(handle: "frank.test")
            // Confirmed, so that the change visibly unconfirms it.
            let database = try DatabaseQueue(path: services.configuration.storage.accountDBLocation)
            try await database.write { db in
                try db.execute(
                    sql: "UPDATE account SET emailConfirmedAt = '2024-01-01T00:00:00.000Z' WHERE did = ?",
                    arguments: [erin.did])
            }
            let byHandle = try await xrpc.admin(
                "updateAccountEmail", services, json: ["account": "erin.test", "email": "Erin@New.Example"])
            #expect(byHandle.status == .ok, "\(byHandle.text)")
            let account = try await services.serviceDB.account(did: try DID(erin.did))
            #expect(account?.email == "erin@new.example")
            #expect(account?.emailConfirmedAt == nil)

            let taken = try await xrpc.admin(
                "updateAccountEmail", services, json: ["account": erin.did, "email": "frank.test@example.com"])
            #expect(taken.status == .badRequest && taken.json["message"] as? String == "Email already taken")
            let unknown = try await xrpc.admin(
                "updateAccountEmail", services, json: ["account": "nobody.test", "email": "x@example.com"])
            #expect(unknown.status == .badRequest, "\(unknown.text)")
            #expect(unknown.json["message"] as? String == "Account does not exist: nobody.test")
        }
    }

    @Test func updateAccountHandleAllowsReservedNamesAndAnnounces() async throws {
        try await TestApplication.withAccount(handle: "gina.test") { _, services, xrpc, gina in
            _ = try await xrpc.createAccount(handle: "hank.test")
            let did = try DID(gina.did)
            let before = try await services.events(after: nil).last?.seq
            let reply = try await xrpc.admin(
                "updateAccountHandle", services, json: ["did": gina.did, "handle": "admin.test"])
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(try await services.serviceDB.account(did: did)?.handle?.rawValue == "admin.test")
            #expect(try await services.didDocument(did, forceRefresh: true)?.alsoKnownAs == ["at://admin.test"])
            let events = try await services.events(after: before)
            #expect(events.map(\.type.rawValue) == ["identity"])
            #expect(events.first?.body["handle"]?.string == "admin.test")

            let taken = try await xrpc.admin(
                "updateAccountHandle", services, json: ["did": gina.did, "handle": "hank.test"])
            #expect(taken.error == "HandleNotAvailable", "\(taken.text)")
            let short = try await xrpc.admin(
                "updateAccountHandle", services, json: ["did": gina.did, "handle": "ab.test"])
            #expect(short.error == "InvalidHandle", "\(short.text)")

            // As the reference, a taken-down account is not found here.
            _ = try await xrpc.admin(
                "updateSubjectStatus", services,
                json: [
                    "subject": ["$type": "com.atproto.admin.defs#repoRef", "did": gina.did],
                    "takedown": ["applied": true],
                ])
            let takenDown = try await xrpc.admin(
                "updateAccountHandle", services, json: ["did": gina.did, "handle": "gina2.test"])
            #expect(takenDown.status == .badRequest && takenDown.json["message"] as? String == "Account not found")
        }
    }

    @Test func updateAccountPasswordRevokesSessions() async throws {
        try await TestApplication.withAccount(handle: "ivy.test") { _, services, xrpc, ivy in
            let reply = try await xrpc.admin(
                "updateAccountPassword", services, json: ["did": ivy.did, "password": "brand-new-password"])
            #expect(reply.status == .ok, "\(reply.text)")
            let refreshed = try await xrpc.call(
                "com.atproto.server.refreshSession", method: .post, token: ivy.refreshJwt)
            #expect(refreshed.status == .badRequest, "\(refreshed.text)")
            let old = try await xrpc.call(
                "com.atproto.server.createSession", json: ["identifier": "ivy.test", "password": "password-123"])
            #expect(old.status == .unauthorized, "\(old.text)")
            let new = try await xrpc.call(
                "com.atproto.server.createSession", json: ["identifier": "ivy.test", "password": "brand-new-password"])
            #expect(new.status == .ok, "\(new.text)")

            let long = try await xrpc.admin(
                "updateAccountPassword", services,
                json: ["did": ivy.did, "password": String(repeating: "x", count: 257)])
            #expect(long.status == .badRequest && long.json["message"] as? String == "Invalid password length.")
        }
    }
}
