import Configuration
import Mailer

extension PDSConfiguration {
    /// Email settings (reference §b "Email"): each SMTP URL and its from-address are set together or not at all;
    /// without an SMTP URL, messages are written to the log instead.
    package struct Email: Sendable {
        /// - `pds.emailSmtpUrl` → `PDS_EMAIL_SMTP_URL`: `smtp://[user:password@]host[:port]` (STARTTLS when offered,
        ///   port 587 by default) or `smtps://…` (implicit TLS, port 465 by default)
        package var smtpURL: String?
        /// - `pds.emailFromAddress` → `PDS_EMAIL_FROM_ADDRESS`
        package var fromAddress: String?
        /// - `pds.emailDisableConfirmationLink` → `PDS_EMAIL_DISABLE_CONFIRMATION_LINK` (default false): leave the
        ///   `bsky.app/intent/verify-email` link out of the confirmation email
        package var disableConfirmationLink: Bool
        /// - `pds.moderationEmailSmtpUrl` → `PDS_MODERATION_EMAIL_SMTP_URL`
        package var moderationSMTPURL: String?
        /// - `pds.moderationEmailAddress` → `PDS_MODERATION_EMAIL_ADDRESS`
        package var moderationAddress: String?
        /// A PEM file of certificates to trust for the SMTP servers' TLS instead of the system's (not read from the
        /// environment: tests set it for their self-signed server).
        package var trustRootsFile: String?
    }

    /// Reads the email settings; inconsistent ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - problems: where problems are reported.
    static func readEmail(reader: ConfigReader, problems: inout [String]) -> Email {
        let email = Email(
            smtpURL: reader.string(forKey: "emailSmtpUrl", isSecret: true).flatMap { $0.isEmpty ? nil : $0 },
            fromAddress: reader.string(forKey: "emailFromAddress").flatMap { $0.isEmpty ? nil : $0 },
            disableConfirmationLink: bool(reader.string(forKey: "emailDisableConfirmationLink")) ?? false,
            moderationSMTPURL: reader.string(forKey: "moderationEmailSmtpUrl", isSecret: true).flatMap {
                $0.isEmpty ? nil : $0
            },
            moderationAddress: reader.string(forKey: "moderationEmailAddress").flatMap { $0.isEmpty ? nil : $0 },
            trustRootsFile: nil)
        for (url, address, urlName, addressName) in [
            (email.smtpURL, email.fromAddress, "PDS_EMAIL_SMTP_URL", "PDS_EMAIL_FROM_ADDRESS"),
            (email.moderationSMTPURL, email.moderationAddress, "PDS_MODERATION_EMAIL_SMTP_URL", "PDS_MODERATION_EMAIL_ADDRESS"),
        ] {
            if (url == nil) != (address == nil) { problems.append("\(urlName) and \(addressName) must be set together") }
            if let url {
                do { _ = try SMTPConfiguration(url: url) } catch { problems.append("\(urlName): \(error)") }
            }
        }
        return email
    }
}
