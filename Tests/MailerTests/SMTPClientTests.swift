import Foundation
import Testing
import TestFixtures

@testable import Mailer

/// The SMTP client against a real server (aiosmtpd) that each test starts: plain, STARTTLS and implicit TLS with a
/// certificate made at test time, AUTH PLAIN and LOGIN, refusals and a server that is down.
@Suite struct SMTPClientTests {
    static let message = MailMessage(
        from: "Example PDS <noreply@example.com>", to: ["alice@example.com"], subject: "Grüße, 🔑 token",
        text: "Your code:\n\nABCDE-FGHIJ\n\n.a line with a leading dot\n", html: "<p>Your code: <code>ABCDE-FGHIJ</code></p>")

    func transport(_ url: String, trusting sink: SMTPSink? = nil) throws -> SMTPTransport {
        var configuration = try SMTPConfiguration(url: url)
        if let sink { configuration.trustCertificates(inFile: sink.certificatePath) }
        return SMTPTransport(client: try SMTPClient(configuration: configuration), now: TestWallClock().function)
    }

    func expectDelivered(_ received: SMTPSink.Received, tls: Bool, auth: Bool) {
        #expect(received.mailFrom == "noreply@example.com")
        #expect(received.rcptTos == ["alice@example.com"])
        #expect(received.tls == tls)
        #expect(received.auth == auth)
        #expect(received.subject == Self.message.subject)
        #expect(received.to == "alice@example.com")
        #expect(received.from == "Example PDS <noreply@example.com>")
        #expect(received.contentType == "multipart/alternative")
        #expect(received.date == "Sun, 15 Jun 2025 15:06:40 +0000")
        #expect(received.messageID.hasSuffix("@example.com>"))
        #expect(received.text?.replacingOccurrences(of: "\r\n", with: "\n") == Self.message.text)
        #expect(received.html?.contains("<code>ABCDE-FGHIJ</code>") == true)
        #expect(received.token == "ABCDE-FGHIJ")
        #expect(received.defects.isEmpty, "\(received.defects)")
        // The server undid the dot-stuffing: the line arrives with its one leading dot.
        #expect(received.data.contains("\r\n.a line with a leading dot"))
    }

    @Test func plainSMTP() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await transport("smtp://127.0.0.1:\(sink.port)").deliver(Self.message)
        expectDelivered(try #require(try sink.messages().first), tls: false, auth: false)
    }

    @Test func startTLSWithAuthPlain() async throws {
        let sink = try await SMTPSink.start(tls: .starttls, credentials: "pds:s3cret:x")
        defer { sink.stop() }
        try await transport("smtp://pds:s3cret%3Ax@localhost:\(sink.port)", trusting: sink).deliver(Self.message)
        expectDelivered(try #require(try sink.messages().first), tls: true, auth: true)
    }

    @Test func startTLSWithAuthLogin() async throws {
        let sink = try await SMTPSink.start(tls: .starttls, credentials: "pds:pw", loginOnly: true)
        defer { sink.stop() }
        try await transport("smtp://pds:pw@localhost:\(sink.port)", trusting: sink).deliver(Self.message)
        expectDelivered(try #require(try sink.messages().first), tls: true, auth: true)
    }

    @Test func implicitTLS() async throws {
        let sink = try await SMTPSink.start(tls: .smtps)
        defer { sink.stop() }
        try await transport("smtps://127.0.0.1:\(sink.port)", trusting: sink).deliver(Self.message)
        expectDelivered(try #require(try sink.messages().first), tls: true, auth: false)
    }

    @Test func untrustedCertificateFailsAndSendsNothing() async throws {
        let sink = try await SMTPSink.start(tls: .starttls)
        defer { sink.stop() }
        do {
            try await transport("smtp://localhost:\(sink.port)").deliver(Self.message)
            Issue.record("expected a TLS failure")
        } catch SMTPError.connectionClosed(let during, let cause) {
            #expect(during == "EHLO")
            #expect(cause.map { "\($0)" }?.contains("handshake") == true, "\(String(describing: cause))")
        }
        #expect(try sink.messages().isEmpty)
    }

    @Test func wrongCredentialsAreRejectedWithTheServersReply() async throws {
        let sink = try await SMTPSink.start(tls: .starttls, credentials: "pds:right")
        defer { sink.stop() }
        do {
            try await transport("smtp://pds:wrong@localhost:\(sink.port)", trusting: sink).deliver(Self.message)
            Issue.record("expected a rejection")
        } catch SMTPError.rejected(let command, let reply) {
            #expect(command == "AUTH PLAIN")
            #expect(reply.code == 535)
            #expect(!"\(SMTPError.rejected(command: command, reply: reply))".contains("wrong"))
        }
        #expect(try sink.messages().isEmpty)
    }

    @Test func refusedRecipientSurfacesTheReply() async throws {
        let sink = try await SMTPSink.start(refuse: 550)
        defer { sink.stop() }
        do {
            try await transport("smtp://127.0.0.1:\(sink.port)").deliver(Self.message)
            Issue.record("expected a rejection")
        } catch SMTPError.rejected(let command, let reply) {
            #expect(command == "RCPT TO:<alice@example.com>")
            #expect(reply.code == 550)
            #expect(reply.lines.joined().contains("mailbox unavailable"))
        }
    }

    @Test func serverDownIsAConnectionFailure() async throws {
        let port = try TestProcess.freePort()
        do {
            try await transport("smtp://127.0.0.1:\(port)").deliver(Self.message)
            Issue.record("expected a connection failure")
        } catch SMTPError.connectionFailed(let host, let failedPort, _) {
            #expect(host == "127.0.0.1" && failedPort == port)
        }
    }
}
