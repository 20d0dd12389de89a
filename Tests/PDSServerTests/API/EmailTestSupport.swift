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

// Helpers of the email tests (EmailFlowTests, EmailDeliveryTests).

/// A server mailing through `sink`, with an account `alice.test` (`alice.test@example.com`) on a test clock.
func withMailServer(
    _ sink: SMTPSink, url: String? = nil,
    _ body: @escaping @Sendable (PDSServices, XRPCTestClient, XRPCSession, TestWallClock) async throws -> Void
) async throws {
    let clock = TestWallClock(Date())
    try await withTemporaryDirectory { dir in
        let environment = [
            "PDS_EMAIL_SMTP_URL": url ?? "smtp://127.0.0.1:\(sink.port)",
            "PDS_EMAIL_FROM_ADDRESS": "Test PDS <noreply@pds.test>", "PDS_SERVICE_NAME": "Test PDS",
            "PDS_MODERATION_EMAIL_SMTP_URL": url ?? "smtp://127.0.0.1:\(sink.port)",
            "PDS_MODERATION_EMAIL_ADDRESS": "mod@pds.test",
        ]
        let certificate = sink.certificatePath
        let services = try TestApplication.services(
            environment, dataDirectory: dir, now: clock.function,
            configure: {
                if FileManager.default.fileExists(atPath: certificate) { $0.email.trustRootsFile = certificate }
            })
        try await TestApplication.make(services: services).test(.router) { client in
            let xrpc = XRPCTestClient(client)
            try await body(services, xrpc, try await xrpc.createAccount(handle: "alice.test"), clock)
        }
    }
}

/// Checks the one new message and returns its token.
func receivedToken(_ sink: SMTPSink, count: Int, subject: String, to: String = "alice.test@example.com")
    async throws -> String
{
    let messages = try await sink.waitForMessages(count)
    #expect(messages.count == count)
    let message = try #require(messages.last)
    #expect(message.rcptTos == [to])
    #expect(message.to == to)
    #expect(message.mailFrom == "noreply@pds.test")
    #expect(message.subject == subject)
    #expect(message.contentType == "multipart/alternative")
    #expect(message.text?.contains("Test PDS") == true)
    #expect(message.defects.isEmpty)
    let token = try #require(message.token)
    #expect(message.html?.contains(token) == true)
    return token
}

/// Expects the XRPC error `name` with `status`.
func expectError(
    _ reply: XRPCReply, _ status: HTTPResponse.Status, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.json["error"] as? String == name, "\(reply.text)", sourceLocation: sourceLocation)
}

/// The account's stored token for `purpose`, once there is one.
func storedToken(_ services: PDSServices, did: DID, _ purpose: EmailTokenPurpose) async throws -> String {
    var token: String?
    try await eventually("the reset token") {
        token = try await services.serviceDB.storedEmailToken(did: did, purpose: purpose)
        return token != nil
    }
    return try #require(token)
}
