import Foundation
import Testing

@testable import Mailer

/// The message format on its own: headers, encodings, dot-stuffing.
@Suite struct MIMEEncodingTests {
    @Test func asciiSubjectStaysAsIs() {
        #expect(MIMEEncoding.encodedHeaderValue("Email Confirmation", headerNameLength: 9) == "Email Confirmation")
    }

    @Test func utf8SubjectIsEncodedWordsOfAtMost75Characters() throws {
        let subject = String(repeating: "Bestätigung 🔑 ", count: 8)
        let encoded = MIMEEncoding.encodedHeaderValue(subject, headerNameLength: 9)
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var bytes: [UInt8] = []
        for word in words {
            #expect(word.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let payload = word.dropFirst(10).dropLast(2)
            let data = try #require(Data(base64Encoded: String(payload)))
            // Each word decodes on its own: no character is split across words.
            #expect(String(data: data, encoding: .utf8) != nil)
            bytes += data
        }
        #expect(String(decoding: bytes, as: UTF8.self) == subject)
    }

    @Test func quotedPrintableKeepsLinesShortAndEncodesWhatItMust() {
        let text = String(repeating: "ä=x ", count: 40) + " \nline two\t\n.dot"
        let encoded = MIMEEncoding.quotedPrintable(text)
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76, "\(line)")
            #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
        }
        #expect(encoded.contains("=C3=A4=3Dx"))
        #expect(encoded.contains("line two=09\r\n.dot"))
    }

    @Test func dotStuffingDoublesLeadingDotsAndTerminates() {
        #expect(SMTPClient.dotStuffed(".a\r\nb\n..c\r\n") == "..a\r\nb\r\n...c\r\n.\r\n")
        #expect(SMTPClient.dotStuffed("x") == "x\r\n.\r\n")
    }

    @Test func renderedMessageHasTheHeadersAndBothParts() {
        let message = MailMessage(
            from: "PDS <noreply@example.com>", to: ["a@example.com"], subject: "Hi", text: "text", html: "<p>html</p>")
        let date = Date(timeIntervalSince1970: 1_750_000_000)
        let rendered = message.rendered(date: date, messageID: "id@example.com", boundary: "BOUNDARY")
        #expect(rendered.contains("Date: Sun, 15 Jun 2025 15:06:40 +0000\r\n"))
        #expect(rendered.contains("Message-ID: <id@example.com>\r\n"))
        #expect(rendered.contains("MIME-Version: 1.0\r\n"))
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary=\"BOUNDARY\"\r\n"))
        #expect(rendered.contains("--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n"))
        #expect(rendered.contains("--BOUNDARY\r\nContent-Type: text/html; charset=utf-8\r\n"))
        #expect(rendered.hasSuffix("--BOUNDARY--\r\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(MailMessage.newMessageID(from: "PDS <noreply@example.com>").hasSuffix("@example.com"))
    }

    @Test func urlsParseAsTheReferenceReadsThem() throws {
        let plain = try SMTPConfiguration(url: "smtp://user%40x:p%3Ass@mail.example.com")
        #expect(plain.security == .startTLSWhenOffered)
        #expect(plain.port == 587)
        #expect(plain.username == "user@x" && plain.password == "p:ss")
        let implicit = try SMTPConfiguration(url: "smtps://mail.example.com:2465")
        #expect(implicit.security == .implicitTLS && implicit.port == 2465 && implicit.username == nil)
        #expect(try SMTPConfiguration(url: "smtps://h").port == 465)
        #expect(throws: SMTPError.self) { try SMTPConfiguration(url: "http://mail.example.com") }
        #expect(throws: SMTPError.self) { try SMTPConfiguration(url: "smtp://") }
        #expect(SMTPConfiguration.redacted("smtp://u:secret@h:25") == "smtp://u:***@h:25")
    }

    @Test func templatesCarryTheTokenAndTheConfirmationLinkRule() {
        let branding = MailTemplate.Branding(serviceName: "Example <PDS>", showConfirmationLink: true)
        let confirm = MailTemplate.confirmEmail(token: "ABCDE-FGHIJ")
        #expect(confirm.subject == "Email Confirmation")
        #expect(confirm.text(branding).contains("https://bsky.app/intent/verify-email?code=ABCDE-FGHIJ"))
        #expect(confirm.html(branding).contains("Example &lt;PDS&gt;"))
        let noLink = MailTemplate.Branding(serviceName: "Example", showConfirmationLink: false)
        #expect(!confirm.text(noLink).contains("bsky.app"))
        #expect(!confirm.html(noLink).contains("bsky.app"))
        let reset = MailTemplate.resetPassword(handle: "alice.test", token: "KLMNO-PQRST")
        #expect(reset.text(branding).contains("@alice.test"))
        #expect(reset.subject == "Password Reset Requested")
        for template in [
            MailTemplate.updateEmail(token: "T"), .deleteAccount(token: "T"), .plcOperation(token: "T"),
        ] {
            #expect(template.text(noLink).contains("\nT\n"))
            #expect(template.html(noLink).contains(">T</code>"))
        }
    }

    @Test func moderationContentGetsAPlainTextAlternative() {
        #expect(ModerationMailer.plainText("<p>Hello &amp; <b>bye</b></p><br>x") == "Hello & bye\n\nx")
    }
}
