import Logging
import Mailer
import ServiceLifecycle

/// Sends account emails in the background, one at a time, for the requests whose answer must not depend on whether
/// an email went out: `requestPasswordReset` answers the same, as fast, for unknown addresses (no account
/// enumeration). A failed send is logged with the SMTP server's reply; the token stays valid.
///
/// On graceful shutdown the queue is closed and what it holds is still sent.
package final class MailOutbox: Service, Sendable {
    /// The most messages waiting; more are dropped (and logged), which the per-IP rate limit keeps far away.
    package static let capacity = 1000
    private let mailer: ServerMailer
    private let logger: Logger
    private let stream: AsyncStream<(MailTemplate, String)>
    private let continuation: AsyncStream<(MailTemplate, String)>.Continuation

    /// Creates an outbox.
    /// - Parameters:
    ///   - mailer: the account mailer.
    ///   - logger: where failures are logged.
    package init(mailer: ServerMailer, logger: Logger) {
        self.mailer = mailer
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(Self.capacity))
    }

    /// Queues `template` for `recipient`.
    package func enqueue(_ template: MailTemplate, to recipient: String) {
        if case .dropped = continuation.yield((template, recipient)) {
            logger.error("Mail queue full: email dropped", metadata: ["mail.subject": "\(template.subject)"])
        }
    }

    package func run() async throws {
        await withGracefulShutdownHandler {
            for await (template, recipient) in stream {
                do {
                    try await mailer.send(template, to: recipient)
                } catch {
                    logger.error(
                        "Sending email failed",
                        metadata: ["mail.subject": "\(template.subject)", "error": "\(String(reflecting: error))"])
                }
            }
        } onGracefulShutdown: { [continuation] in
            continuation.finish()
        }
    }
}
