import ATCore
import ActorStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import ServiceDB
import Testing

@testable import PDSServer

/// The email-token flows against a real SMTP server (aiosmtpd) each test starts: every message arrives with the
/// right recipient, subject and token; tokens work once, expire after 15 minutes (on an injected clock) and only for
/// their purpose (failures of delivery: ``EmailDeliveryTests``).
@Suite struct EmailFlowTests {
    @Test func confirmEmailWorksOnceAndOnlyForItsAddress() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await withMailServer(sink) { _, xrpc, session, _ in
            let access = session.accessJwt
            let requested = try await xrpc.call("com.atproto.server.requestEmailConfirmation", method: .post, token: access)
            #expect(requested.status == .ok, "\(requested.text)")
            let token = try await receivedToken(sink, count: 1, subject: "Email Confirmation")
            let message = try #require(try sink.messages().last)
            #expect(message.text?.contains("https://bsky.app/intent/verify-email?code=\(token)") == true)

            let wrongEmail = try await xrpc.call(
                "com.atproto.server.confirmEmail", token: access, json: ["email": "bob@example.com", "token": token])
            expectError(wrongEmail, .badRequest, "InvalidEmail")
            // Compared upper-cased; the address case-insensitively.
            let confirmed = try await xrpc.call(
                "com.atproto.server.confirmEmail", token: access,
                json: ["email": "Alice.Test@Example.com", "token": token.lowercased()])
            #expect(confirmed.status == .ok, "\(confirmed.text)")
            let after = try await xrpc.call("com.atproto.server.getSession", token: access)
            #expect(after.json["emailConfirmed"] as? Bool == true)

            let again = try await xrpc.call(
                "com.atproto.server.confirmEmail", token: access, json: ["email": "alice.test@example.com", "token": token])
            expectError(again, .badRequest, "InvalidToken")
        }
    }

    @Test func tokensExpireAfterFifteenMinutesAndServeOnlyTheirPurpose() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await withMailServer(sink) { services, xrpc, session, clock in
            let access = session.accessJwt
            _ = try await xrpc.call("com.atproto.server.requestAccountDelete", method: .post, token: access)
            let deleteToken = try await receivedToken(sink, count: 1, subject: "Account Deletion Requested")
            let wrongPurpose = try await xrpc.call(
                "com.atproto.server.confirmEmail", token: access,
                json: ["email": "alice.test@example.com", "token": deleteToken])
            expectError(wrongPurpose, .badRequest, "InvalidToken")

            _ = try await xrpc.call("com.atproto.server.requestEmailConfirmation", method: .post, token: access)
            let token = try await receivedToken(sink, count: 2, subject: "Email Confirmation")
            clock.advance(by: 15 * 60)
            let expired = try await xrpc.call(
                "com.atproto.server.confirmEmail", token: access, json: ["email": "alice.test@example.com", "token": token])
            expectError(expired, .badRequest, "ExpiredToken")
            let account = try #require(try await services.serviceDB.account(did: DID(session.did)))
            #expect(account.emailConfirmedAt == nil)

            // A new request replaces the token (one per purpose); just under 15 minutes it still works.
            _ = try await xrpc.call("com.atproto.server.requestEmailConfirmation", method: .post, token: access)
            let fresh = try await receivedToken(sink, count: 3, subject: "Email Confirmation")
            clock.advance(by: 15 * 60 - 1)
            let confirmed = try await xrpc.call(
                "com.atproto.server.confirmEmail", token: access, json: ["email": "alice.test@example.com", "token": fresh])
            #expect(confirmed.status == .ok, "\(confirmed.text)")
        }
    }

    @Test func emailUpdateNeedsATokenOnlyOnceConfirmed() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await withMailServer(sink) { services, xrpc, session, _ in
            let access = session.accessJwt
            let unconfirmed = try await xrpc.call("com.atproto.server.requestEmailUpdate", method: .post, token: access)
            #expect(unconfirmed.json["tokenRequired"] as? Bool == false, "\(unconfirmed.text)")
            #expect(try sink.messages().isEmpty)
            let invalid = try await xrpc.call("com.atproto.server.updateEmail", token: access, json: ["email": "nope"])
            expectError(invalid, .badRequest, "InvalidRequest")
            let changed = try await xrpc.call(
                "com.atproto.server.updateEmail", token: access, json: ["email": "Alice2@Example.com"])
            #expect(changed.status == .ok, "\(changed.text)")

            _ = try await xrpc.call("com.atproto.server.requestEmailConfirmation", method: .post, token: access)
            let confirmToken = try await receivedToken(
                sink, count: 1, subject: "Email Confirmation", to: "alice2@example.com")
            _ = try await xrpc.call(
                "com.atproto.server.confirmEmail", token: access,
                json: ["email": "alice2@example.com", "token": confirmToken])

            let confirmed = try await xrpc.call("com.atproto.server.requestEmailUpdate", method: .post, token: access)
            #expect(confirmed.json["tokenRequired"] as? Bool == true, "\(confirmed.text)")
            let token = try await receivedToken(sink, count: 2, subject: "Email Update Requested", to: "alice2@example.com")
            let withoutToken = try await xrpc.call(
                "com.atproto.server.updateEmail", token: access, json: ["email": "alice3@example.com"])
            expectError(withoutToken, .badRequest, "TokenRequired")
            _ = try await xrpc.createAccount(handle: "bob.test")
            let taken = try await xrpc.call(
                "com.atproto.server.updateEmail", token: access, json: ["email": "bob.test@example.com", "token": token])
            expectError(taken, .badRequest, "InvalidRequest")
            let updated = try await xrpc.call(
                "com.atproto.server.updateEmail", token: access, json: ["email": "alice3@example.com", "token": token])
            #expect(updated.status == .ok, "\(updated.text)")
            let account = try #require(try await services.serviceDB.account(did: DID(session.did)))
            #expect(account.email == "alice3@example.com")
            #expect(account.emailConfirmedAt == nil)
            // The update dropped every token: a given token is still checked (as the reference), and fails.
            let reused = try await xrpc.call(
                "com.atproto.server.updateEmail", token: access, json: ["email": "alice4@example.com", "token": token])
            expectError(reused, .badRequest, "InvalidToken")
            let noToken = try await xrpc.call(
                "com.atproto.server.updateEmail", token: access, json: ["email": "alice4@example.com"])
            #expect(noToken.status == .ok, "an unconfirmed email needs no token: \(noToken.text)")
        }
    }

    @Test func passwordResetRevokesSessionsAndDoesNotEnumerate() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await withMailServer(sink) { _, xrpc, session, _ in
            let unknown = try await xrpc.call(
                "com.atproto.server.requestPasswordReset", json: ["email": "nobody@example.com"])
            let known = try await xrpc.call(
                "com.atproto.server.requestPasswordReset", json: ["email": "ALICE.TEST@example.com"])
            #expect(unknown.status == .ok && known.status == .ok)
            #expect(unknown.body == known.body)
            let token = try await receivedToken(sink, count: 1, subject: "Password Reset Requested")
            #expect(try sink.messages().last?.text?.contains("@alice.test") == true)

            let bad = try await xrpc.call(
                "com.atproto.server.resetPassword", json: ["token": "AAAAA-BBBBB", "password": "new-password-1"])
            expectError(bad, .badRequest, "InvalidToken")
            let reset = try await xrpc.call(
                "com.atproto.server.resetPassword", json: ["token": token, "password": "new-password-1"])
            #expect(reset.status == .ok, "\(reset.text)")
            let refreshed = try await xrpc.call(
                "com.atproto.server.refreshSession", method: .post, token: session.refreshJwt)
            expectError(refreshed, .badRequest, "ExpiredToken")
            let oldLogin = try await xrpc.call(
                "com.atproto.server.createSession", json: ["identifier": "alice.test", "password": "password-123"])
            #expect(oldLogin.status == .unauthorized)
            let newLogin = try await xrpc.call(
                "com.atproto.server.createSession", json: ["identifier": "alice.test", "password": "new-password-1"])
            #expect(newLogin.status == .ok, "\(newLogin.text)")
            let reused = try await xrpc.call(
                "com.atproto.server.resetPassword", json: ["token": token, "password": "new-password-2"])
            expectError(reused, .badRequest, "InvalidToken")
            #expect(try sink.messages().count == 1)
        }
    }

    @Test func deleteAccountRemovesEverythingAndSequencesTheDeletion() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await withMailServer(sink) { services, xrpc, session, _ in
            let did = try DID(session.did)
            let access = session.accessJwt
            _ = try await xrpc.createRecord(session, record: XRPCTestClient.post("bye"))
            _ = try await xrpc.uploadedBlob(Array("blob bytes".utf8), token: access)
            _ = try await xrpc.call("com.atproto.server.createAppPassword", token: access, json: ["name": "app"])
            let actorDirectory = services.actorStore.location(of: did).directory
            let blobs = URL(fileURLWithPath: services.configuration.storage.dataDirectory)
                .appendingPathComponent("blocks/tempt/\(did)")
            #expect(FileManager.default.fileExists(atPath: actorDirectory.path))
            #expect(FileManager.default.fileExists(atPath: blobs.path))

            let requested = try await xrpc.call("com.atproto.server.requestAccountDelete", method: .post, token: access)
            #expect(requested.status == .ok, "\(requested.text)")
            let token = try await receivedToken(sink, count: 1, subject: "Account Deletion Requested")

            let wrongPassword = try await xrpc.call(
                "com.atproto.server.deleteAccount", json: ["did": session.did, "password": "nope", "token": token])
            expectError(wrongPassword, .unauthorized, "AuthenticationRequired")
            let wrongToken = try await xrpc.call(
                "com.atproto.server.deleteAccount",
                json: ["did": session.did, "password": "password-123", "token": "AAAAA-BBBBB"])
            expectError(wrongToken, .badRequest, "InvalidToken")
            #expect(try await services.serviceDB.account(did: did) != nil)

            let deleted = try await xrpc.call(
                "com.atproto.server.deleteAccount",
                json: ["did": session.did, "password": "password-123", "token": token])
            #expect(deleted.status == .ok, "\(deleted.text)")
            #expect(try await services.serviceDB.account(did: did) == nil)
            #expect(!FileManager.default.fileExists(atPath: actorDirectory.path))
            #expect(!FileManager.default.fileExists(atPath: blobs.path))
            let events = try await services.events(after: nil).filter { $0.did == did }
            #expect(events.map(\.type.rawValue) == ["account"])
            #expect(events.first?.body["active"]?.bool == false)
            #expect(events.first?.body["status"]?.string == "deleted")
            let login = try await xrpc.call(
                "com.atproto.server.createSession", json: ["identifier": "alice.test", "password": "password-123"])
            #expect(login.status == .unauthorized)
            let again = try await xrpc.call(
                "com.atproto.server.deleteAccount",
                json: ["did": session.did, "password": "password-123", "token": token])
            expectError(again, .badRequest, "InvalidRequest")
        }
    }
}
