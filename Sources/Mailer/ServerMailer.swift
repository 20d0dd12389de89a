import Foundation

/// Sends the account emails (`PDS_EMAIL_SMTP_URL`, `PDS_EMAIL_FROM_ADDRESS`), as the reference's `ServerMailer`.
package struct ServerMailer: Sendable {
    /// Where messages go.
    package let transport: any MailTransport
    /// `PDS_EMAIL_FROM_ADDRESS` (a placeholder when messages are only logged).
    package let fromAddress: String
    /// The service name and confirmation-link rule.
    package let branding: MailTemplate.Branding

    /// Creates a mailer.
    package init(transport: any MailTransport, fromAddress: String, branding: MailTemplate.Branding) {
        self.transport = transport
        self.fromAddress = fromAddress
        self.branding = branding
    }

    /// The message for `template` addressed to `recipient`.
    package func message(_ template: MailTemplate, to recipient: String) -> MailMessage {
        MailMessage(
            from: fromAddress, to: [recipient], subject: template.subject, text: template.text(branding),
            html: template.html(branding))
    }

    /// Sends `template` to `recipient`, waiting for the server to accept it.
    /// - Throws: the transport's error (``SMTPError`` with the server's reply).
    package func send(_ template: MailTemplate, to recipient: String) async throws {
        try await transport.deliver(message(template, to: recipient))
    }
}

/// Sends moderators' messages (`PDS_MODERATION_EMAIL_SMTP_URL`, `PDS_MODERATION_EMAIL_ADDRESS`), as the reference's
/// `ModerationMailer`: the content is HTML given by the moderator.
package struct ModerationMailer: Sendable {
    /// The reference's subject when the moderator gives none.
    package static let defaultSubject = "Message via your PDS"
    /// Where messages go.
    package let transport: any MailTransport
    /// `PDS_MODERATION_EMAIL_ADDRESS`.
    package let fromAddress: String

    /// Creates a mailer.
    package init(transport: any MailTransport, fromAddress: String) {
        self.transport = transport
        self.fromAddress = fromAddress
    }

    /// Sends `content` (HTML) to `recipient`, with a plain-text alternative made by dropping its tags.
    package func send(content: String, subject: String?, to recipient: String) async throws {
        try await transport.deliver(
            MailMessage(
                from: fromAddress, to: [recipient], subject: subject ?? Self.defaultSubject,
                text: Self.plainText(content), html: content))
    }

    /// `html` without its tags, with `<br>` and block ends as line breaks and the basic entities decoded.
    static func plainText(_ html: String) -> String {
        var text = html.replacingOccurrences(
            of: "<(br|/p|/div|/h[1-6]|/li)[^>]*>", with: "\n", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text
    }
}
