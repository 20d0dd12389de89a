import Foundation

/// An email: the sender, the recipients, a subject, a plain-text body and optionally an HTML alternative.
package struct MailMessage: Sendable, Equatable {
    /// The `From` address, bare (`a@b`) or with a display name (`PDS <a@b>`).
    package var from: String
    /// The recipients' addresses.
    package var to: [String]
    /// The subject (any Unicode; encoded per RFC 2047 when not plain ASCII).
    package var subject: String
    /// The plain-text body.
    package var text: String
    /// The HTML body, sent as the preferred `multipart/alternative` part.
    package var html: String?

    /// Creates a message.
    package init(from: String, to: [String], subject: String, text: String, html: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }

    /// The message as sent (RFC 5322 with MIME): headers (`From`, `To`, `Subject`, `Date`, `Message-ID`,
    /// `MIME-Version`), then a `multipart/alternative` of the text and the HTML (or the text alone), each part UTF-8
    /// in quoted-printable. Lines end with CRLF and stay within 78 characters.
    /// - Parameters:
    ///   - date: the `Date` header's time.
    ///   - messageID: the `Message-ID` without angle brackets (``MailMessage/newMessageID(from:)``).
    ///   - boundary: the MIME boundary (random by default).
    package func rendered(date: Date, messageID: String, boundary: String = "=_swift-pds_" + UUID().uuidString)
        -> String
    {
        var lines = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(MIMEEncoding.encodedHeaderValue(subject, headerNameLength: 9))",
            "Date: \(MIMEEncoding.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
        ]
        let textPart = [
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
            MIMEEncoding.quotedPrintable(text),
        ]
        guard let html else {
            return (lines + textPart).joined(separator: "\r\n") + "\r\n"
        }
        lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        lines += ["", "--\(boundary)"] + textPart
        lines += [
            "--\(boundary)", "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable",
            "", MIMEEncoding.quotedPrintable(html), "--\(boundary)--",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A new globally unique `Message-ID` (without angle brackets), in the sender's domain.
    /// - Parameters:
    ///   - from: the `From` address.
    package static func newMessageID(from: String) -> String {
        let address = SMTPClient.bareAddress(from)
        let domain = address.split(separator: "@").last.map(String.init) ?? "localhost"
        return "\(UUID().uuidString.lowercased())@\(domain.isEmpty ? "localhost" : domain)"
    }
}
