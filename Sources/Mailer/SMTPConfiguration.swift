import Foundation
import NIOCore
import NIOSSL

/// Where and how to submit mail, from an SMTP URL as the reference (nodemailer) reads `PDS_EMAIL_SMTP_URL`:
/// `smtp://[user:password@]host[:port]` (port 587 by default; upgraded with STARTTLS when the server offers it) or
/// `smtps://[user:password@]host[:port]` (TLS from the first byte, port 465 by default). The user and password are
/// percent-decoded and sent with AUTH PLAIN, or AUTH LOGIN when that is all the server offers.
package struct SMTPConfiguration: Sendable {
    /// How the connection is protected.
    package enum Security: Sendable, Equatable {
        /// Plain TCP, upgraded with STARTTLS when the server's EHLO offers it (`smtp://`).
        case startTLSWhenOffered
        /// TLS from the start (`smtps://`).
        case implicitTLS
    }

    /// The server's host name or IP address.
    package var host: String
    /// The server's port.
    package var port: Int
    /// How the connection is protected.
    package var security: Security
    /// The AUTH user name, if any.
    package var username: String?
    /// The AUTH password, if any.
    package var password: String?
    /// The TLS settings (the system's trust roots and full verification by default; tests trust their own CA).
    package var tls: TLSConfiguration = .makeClientConfiguration()
    /// The name this client gives in EHLO.
    package var clientName: String = "localhost"
    /// The longest wait for the TCP connection.
    package var connectTimeout: TimeAmount = .seconds(30)
    /// The longest wait for any one reply.
    package var replyTimeout: TimeAmount = .seconds(60)

    /// Parses an SMTP URL.
    /// - Parameters:
    ///   - url: `smtp://…` or `smtps://…`.
    /// - Throws: ``SMTPError/invalidURL(_:)``.
    package init(url: String) throws(SMTPError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { throw SMTPError.invalidURL(Self.redacted(url)) }
        switch scheme {
        case "smtp": security = .startTLSWhenOffered
        case "smtps": security = .implicitTLS
        default: throw SMTPError.invalidURL(Self.redacted(url))
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? (security == .implicitTLS ? 465 : 587)
        username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        password = components.password
    }

    /// The URL without its password, for messages and logs.
    package static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "<unparseable SMTP URL>"
    }

    /// The name sent for SNI and checked against the certificate: the host, unless it is an IP address (then the
    /// certificate is checked against the address).
    var serverHostname: String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// Trusts the certificates in a PEM file instead of the system's (a private CA, or a test's self-signed
    /// certificate).
    package mutating func trustCertificates(inFile path: String) {
        tls.trustRoots = .file(path)
    }
}
