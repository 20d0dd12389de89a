import Foundation
import Logging

/// Delivers a message: over SMTP (``SMTPTransport``), or into the log when no SMTP server is configured
/// (``LogTransport``).
package protocol MailTransport: Sendable {
    /// Delivers `message`.
    /// - Throws: what delivery failed with (``SMTPError`` for SMTP).
    func deliver(_ message: MailMessage) async throws
}

/// Delivers over SMTP, stamping `Date` from an injectable clock.
package struct SMTPTransport: MailTransport {
    /// The client.
    package let client: SMTPClient
    /// The wall clock (`Date` header); tests inject theirs.
    package let now: @Sendable () -> Date

    /// Creates a transport.
    package init(client: SMTPClient, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.now = now
    }

    package func deliver(_ message: MailMessage) async throws {
        let data = message.rendered(date: now(), messageID: MailMessage.newMessageID(from: message.from))
        try await client.send(
            data, from: SMTPClient.bareAddress(message.from), to: message.to.map(SMTPClient.bareAddress))
    }
}

/// Writes the message, token included, to the log instead of sending it (no SMTP URL configured), so a development
/// server works without a mail server. The reference logs at debug; this logs at info, so the default log shows it,
/// on one line.
package struct LogTransport: MailTransport {
    /// Where messages go.
    package let logger: Logger

    /// Creates a transport.
    package init(logger: Logger) {
        self.logger = logger
    }

    package func deliver(_ message: MailMessage) async throws {
        logger.info(
            "No SMTP URL has been configured. Intended to send email",
            metadata: [
                "mail.to": "\(message.to.joined(separator: ", "))", "mail.from": "\(message.from)",
                "mail.subject": "\(message.subject)",
                // One log line: the body's line breaks written as `\n`.
                "mail.text": "\(message.text.replacingOccurrences(of: "\n", with: "\\n"))",
            ])
    }
}
