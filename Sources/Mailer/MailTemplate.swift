import Foundation

/// The account emails of the reference PDS (`mailer/templates/*.hbs`): their subjects and wording, rendered as text
/// and as HTML.
package enum MailTemplate: Sendable, Equatable {
    /// `confirm-email`: "Email Confirmation", with a link to `bsky.app/intent/verify-email` unless
    /// `PDS_EMAIL_DISABLE_CONFIRMATION_LINK`.
    case confirmEmail(token: String)
    /// `update-email`: "Email Update Requested".
    case updateEmail(token: String)
    /// `reset-password`: "Password Reset Requested", naming the handle (or the email when there is none).
    case resetPassword(handle: String, token: String)
    /// `delete-account`: "Account Deletion Requested".
    case deleteAccount(token: String)
    /// `plc-operation`: "PLC Update Operation Requested".
    case plcOperation(token: String)

    /// What every template shows besides its own parameters.
    package struct Branding: Sendable, Equatable {
        /// `PDS_SERVICE_NAME`, the signature of every email.
        package var serviceName: String
        /// Whether the confirmation email links to the Bluesky app (`!PDS_EMAIL_DISABLE_CONFIRMATION_LINK`).
        package var showConfirmationLink: Bool

        /// Creates the branding.
        package init(serviceName: String, showConfirmationLink: Bool) {
            self.serviceName = serviceName
            self.showConfirmationLink = showConfirmationLink
        }
    }

    /// The subject line, as the reference's.
    package var subject: String {
        switch self {
        case .confirmEmail: "Email Confirmation"
        case .updateEmail: "Email Update Requested"
        case .resetPassword: "Password Reset Requested"
        case .deleteAccount: "Account Deletion Requested"
        case .plcOperation: "PLC Update Operation Requested"
        }
    }

    /// The token the email carries.
    package var token: String {
        switch self {
        case .confirmEmail(let token), .updateEmail(let token), .deleteAccount(let token), .plcOperation(let token),
            .resetPassword(_, let token):
            token
        }
    }

    /// The heading, the paragraphs before the code, an optional link, and the paragraphs after it.
    private func content(_ branding: Branding) -> (title: String, before: [String], link: String?, after: [String]) {
        switch self {
        case .confirmEmail(let token):
            let link = branding.showConfirmationLink ? "https://bsky.app/intent/verify-email?code=\(token)" : nil
            return (
                "Confirm your email",
                ["To confirm this email for your account, please enter the code below in the app"
                    + (link == nil ? "." : " or open the link below.")],
                link, ["If you didn't request an email confirmation, you can safely ignore this email."]
            )
        case .updateEmail:
            return (
                "Update your email",
                ["To update the email for your account, enter the code below in the app along with your new email."],
                nil, ["If you didn't request an email update, you can safely ignore this email."]
            )
        case .resetPassword(let handle, _):
            return (
                "Reset password", ["We received a request to reset the password for the account @\(handle)."], nil,
                ["To choose a new password, please enter the code above in the app along with your new password."]
            )
        case .deleteAccount:
            return (
                "Delete your account",
                ["To permanently delete your account, please enter the code below in the app along with your password."],
                nil, ["If you didn't request an account deletion, you should update your password immediately."]
            )
        case .plcOperation:
            return (
                "PLC update requested",
                ["We received a request to update your PLC identity. Your confirmation code is:"], nil,
                ["Updating your PLC identity is a very sensitive operation. Please only proceed if you are confident "
                    + "in what you are doing."]
            )
        }
    }

    /// The plain-text body.
    package func text(_ branding: Branding) -> String {
        let content = content(branding)
        var lines = [content.title, ""] + content.before.flatMap { [$0, ""] } + [token, ""]
        if let link = content.link { lines += [link, ""] }
        lines += content.after.flatMap { [$0, ""] } + ["-- ", branding.serviceName]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The HTML body.
    package func html(_ branding: Branding) -> String {
        let content = content(branding)
        let font = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',sans-serif"
        let paragraph = "<p style=\"font-size:16px;line-height:1.4;color:#3b4a5c;\(font)\">"
        var body = "<h1 style=\"font-size:26px;color:#000000;\(font)\">\(escaped(content.title))</h1>\n"
        body += content.before.map { paragraph + escaped($0) + "</p>\n" }.joined()
        body += "<code style=\"display:block;padding:16px;border-radius:8px;border:1px solid #d5dbe2;"
            + "background-color:#eff2f5;font-size:14px;font-family:monospace;text-transform:uppercase\">"
            + escaped(token) + "</code>\n"
        if let link = content.link {
            body += paragraph + "<a href=\"\(escaped(link))\" style=\"color:#067df7\">\(escaped(link))</a></p>\n"
        }
        body += content.after.map { paragraph + escaped($0) + "</p>\n" }.joined()
        body += "<p style=\"font-size:14px;color:#7b8a9c;\(font)\">\(escaped(branding.serviceName))</p>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escaped(content.title))</title></head>
            <body style="padding:12px;background-color:#eff2f5">
            <div style="max-width:37.5em;margin:0 auto;padding:24px;border-radius:12px;background-color:#ffffff">
            \(body)</div>
            </body></html>

            """
    }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
