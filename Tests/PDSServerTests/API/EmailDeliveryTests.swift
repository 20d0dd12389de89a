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

/// Email delivery over STARTTLS with AUTH, a refusing or absent SMTP server (500, as the reference; nothing lost),
/// taken-down accounts, the signup queue, and the moderation mailer.
@Suite struct EmailDeliveryTests {
    @Test func plcOperationTokenOverStartTLS() async throws {
        let sink = try await SMTPSink.start(tls: .starttls, credentials: "pds:secret")
        defer { sink.stop() }
        try await withMailServer(sink, url: "smtp://pds:secret@localhost:\(sink.port)") { services, xrpc, session, clock in
            let requested = try await xrpc.call(
                "com.atproto.identity.requestPlcOperationSignature", method: .post, token: session.accessJwt)
            #expect(requested.status == .ok, "\(requested.text)")
            let token = try await receivedToken(sink, count: 1, subject: "PLC Update Operation Requested")
            let message = try #require(try sink.messages().last)
            #expect(message.tls && message.auth)
            let did = try DID(session.did)
            await #expect(throws: ServiceDBError.emailTokenInvalid) {
                try await services.serviceDB.consumeEmailToken(did: did, purpose: .confirmEmail, token: token, now: clock.now)
            }
            try await services.serviceDB.consumeEmailToken(did: did, purpose: .plcOperation, token: token, now: clock.now)
            await #expect(throws: ServiceDBError.emailTokenInvalid) {
                try await services.serviceDB.consumeEmailToken(did: did, purpose: .plcOperation, token: token, now: clock.now)
            }
        }
    }

    @Test(arguments: [true, false])
    func refusingOrAbsentServerFailsTheRequestAndLosesNothing(refusing: Bool) async throws {
        let sink = try await SMTPSink.start(refuse: 550)
        defer { sink.stop() }
        let url = refusing ? "smtp://127.0.0.1:\(sink.port)" : "smtp://127.0.0.1:\(try TestProcess.freePort())"
        try await withMailServer(sink, url: url) { services, xrpc, session, clock in
            let did = try DID(session.did)
            let before = try #require(try await services.serviceDB.account(did: did))
            for nsid in ["com.atproto.server.requestEmailConfirmation", "com.atproto.server.requestAccountDelete"] {
                let reply = try await xrpc.call(nsid, method: .post, token: session.accessJwt)
                expectError(reply, .internalServerError, "InternalServerError")
                #expect(reply.json["message"] as? String == "Internal Server Error")
            }
            // The reset is queued: the same answer as for any address; the failure is only logged.
            let reset = try await xrpc.call(
                "com.atproto.server.requestPasswordReset", json: ["email": "alice.test@example.com"])
            #expect(reset.status == .ok)
            #expect(try await services.serviceDB.account(did: did) == before)
            let session2 = try await xrpc.call(
                "com.atproto.server.createSession", json: ["identifier": "alice.test", "password": "password-123"])
            #expect(session2.status == .ok)
            #expect(try sink.messages().isEmpty)
            // The stored token of the failed request is still there and valid (a retry replaces it).
            let stored = try await services.serviceDB.emailTokenOwner(
                purpose: .resetPassword, token: try await storedToken(services, did: did, .resetPassword), now: clock.now)
            #expect(stored == did)
        }
    }

    @Test func takenDownAccountsAndTheSignupQueue() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await withMailServer(sink) { services, xrpc, session, _ in
            let queue = try await xrpc.call("com.atproto.temp.checkSignupQueue", token: session.accessJwt)
            #expect(queue.status == .ok)
            #expect(queue.json["activated"] as? Bool == true)
            try await services.serviceDB.setTakedown(did: DID(session.did), ref: "takedown-1")
            for nsid in [
                "com.atproto.server.requestEmailConfirmation", "com.atproto.server.requestEmailUpdate",
                "com.atproto.server.requestAccountDelete",
            ] {
                let reply = try await xrpc.call(nsid, method: .post, token: session.accessJwt)
                expectError(reply, .unauthorized, "AccountTakedown")
            }
            // requestPlcOperationSignature accepts taken-down accounts (so they can migrate away).
            let plc = try await xrpc.call(
                "com.atproto.identity.requestPlcOperationSignature", method: .post, token: session.accessJwt)
            #expect(plc.status == .ok, "\(plc.text)")
            _ = try await receivedToken(sink, count: 1, subject: "PLC Update Operation Requested")
        }
    }

    @Test func adminSendEmailGoesThroughTheModerationMailer() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await withMailServer(sink) { services, xrpc, session, _ in
            let admin: HTTPFields = [.authorization: try services.adminAuthorization()]
            let notFound = try await xrpc.call(
                "com.atproto.admin.sendEmail", headers: admin,
                json: ["recipientDid": "did:plc:unknownunknownunknown", "content": "x", "senderDid": "did:plc:mod"])
            expectError(notFound, .badRequest, "InvalidRequest")
            let sent = try await xrpc.call(
                "com.atproto.admin.sendEmail", headers: admin,
                json: ["recipientDid": session.did, "content": "<p>Hello &amp; welcome</p>", "senderDid": "did:plc:mod"])
            #expect(sent.status == .ok, "\(sent.text)")
            #expect(sent.json["sent"] as? Bool == true)
            let message = try #require(try await sink.waitForMessages(1).first)
            #expect(message.mailFrom == "mod@pds.test")
            #expect(message.rcptTos == ["alice.test@example.com"])
            #expect(message.subject == "Message via your PDS")
            #expect(message.html?.contains("<p>Hello &amp; welcome</p>") == true)
            #expect(message.text?.contains("Hello & welcome") == true)
            let unauthorized = try await xrpc.call(
                "com.atproto.admin.sendEmail", token: session.accessJwt,
                json: ["recipientDid": session.did, "content": "x", "senderDid": "did:plc:mod"])
            #expect(unauthorized.status != .ok)
        }
    }
}
