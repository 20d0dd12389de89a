/// Why a message could not be handed to the SMTP server. Every case keeps what the server said or the underlying
/// error; credentials never appear (AUTH commands are named by their verb and mechanism only).
package enum SMTPError: Error, CustomStringConvertible, Sendable {
    /// `PDS_EMAIL_SMTP_URL` (or the moderation one) is not an `smtp://` or `smtps://` URL with a host.
    case invalidURL(String)
    /// The TCP connection (or the implicit-TLS handshake) failed.
    case connectionFailed(host: String, port: Int, cause: any Error)
    /// The connection closed, or failed, before the server answered `during`.
    case connectionClosed(during: String, cause: (any Error)?)
    /// The server did not answer `during` in time.
    case timeout(during: String)
    /// The server answered `command` with an unexpected reply (for example `550 Mailbox unavailable`).
    case rejected(command: String, reply: SMTPReply)
    /// Credentials are configured but the server offers neither AUTH PLAIN nor AUTH LOGIN.
    case authenticationUnsupported(offered: [String])
    /// A reply line is not `<3 digits>[ -]<text>`.
    case malformedReply(String)
    /// An address contains CR or LF, or is empty.
    case invalidAddress(String)

    package var description: String {
        switch self {
        case .invalidURL(let url): "Invalid SMTP URL '\(url)': expected smtp:// or smtps://[user:password@]host[:port]"
        case .connectionFailed(let host, let port, let cause): "Cannot connect to SMTP server \(host):\(port): \(cause)"
        case .connectionClosed(let during, let cause):
            "SMTP connection closed during \(during)" + (cause.map { ": \($0)" } ?? "")
        case .timeout(let during): "SMTP server did not answer \(during) in time"
        case .rejected(let command, let reply): "SMTP server rejected \(command): \(reply)"
        case .authenticationUnsupported(let offered):
            "SMTP server offers no supported AUTH mechanism (PLAIN, LOGIN); offered: \(offered.joined(separator: " "))"
        case .malformedReply(let line): "Malformed SMTP reply line: \(line)"
        case .invalidAddress(let address): "Invalid email address '\(address)'"
        }
    }
}
