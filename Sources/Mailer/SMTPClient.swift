import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Submits messages to one SMTP server (RFC 5321, with STARTTLS per RFC 3207 and AUTH per RFC 4954): one connection
/// per message, closed after QUIT.
package struct SMTPClient: Sendable {
    /// The server and credentials.
    package let configuration: SMTPConfiguration
    private let group: any EventLoopGroup
    private let tlsContext: NIOSSLContext

    /// Creates a client.
    /// - Parameters:
    ///   - configuration: the server and credentials.
    ///   - group: the event loops to connect on.
    /// - Throws: NIOSSL errors for an unusable TLS configuration (for example an unreadable trust-roots file).
    package init(configuration: SMTPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        throws
    {
        self.configuration = configuration
        self.group = group
        self.tlsContext = try NIOSSLContext(configuration: configuration.tls)
    }

    /// Sends one message.
    /// - Parameters:
    ///   - data: the message (headers and body) with CRLF line ends; dot-stuffed here.
    ///   - from: the envelope sender (a bare address).
    ///   - recipients: the envelope recipients (bare addresses).
    /// - Throws: ``SMTPError`` with the server's reply or the connection's failure.
    package func send(_ data: String, from: String, to recipients: [String]) async throws {
        for address in [from] + recipients where address.isEmpty || address.contains(where: \.isNewline) {
            throw SMTPError.invalidAddress(address)
        }
        let connection = try await connect()
        do {
            try await connection.session(
                configuration: configuration, tlsContext: tlsContext, data: data, from: from, to: recipients)
        } catch {
            connection.close()
            throw error
        }
        connection.close()
    }

    private func connect() async throws -> SMTPConnection {
        let (stream, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let implicitTLS = configuration.security == .implicitTLS
        let (tlsContext, hostname, readTimeout) = (tlsContext, configuration.serverHostname, configuration.replyTimeout)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if implicitTLS {
                        try sync.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: hostname))
                    }
                    try sync.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                    try sync.addHandler(IdleStateHandler(readTimeout: readTimeout))
                    try sync.addHandler(SMTPReplyForwarder(continuation))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
            return SMTPConnection(channel: channel, replies: stream.makeAsyncIterator())
        } catch {
            continuation.finish()
            throw SMTPError.connectionFailed(host: configuration.host, port: configuration.port, cause: error)
        }
    }

    /// `data` with every line starting with `.` given a second one (RFC 5321 §4.5.2), bare LFs made CRLF, and the
    /// terminating `CRLF.CRLF` appended.
    package static func dotStuffed(_ data: String) -> String {
        var lines = data.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// The bare address of `From`-style text: `Name <a@b>` gives `a@b`.
    package static func bareAddress(_ address: String) -> String {
        if let open = address.lastIndex(of: "<"), let close = address.lastIndex(of: ">"), open < close {
            return String(address[address.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
        }
        return address.trimmingCharacters(in: .whitespaces)
    }
}

/// One open SMTP connection: the channel and the replies read from it. Used by one task at a time.
final class SMTPConnection {
    let channel: any Channel
    private var replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator

    init(channel: any Channel, replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator) {
        self.channel = channel
        self.replies = replies
    }

    /// The conversation: greeting, EHLO, STARTTLS (when offered on a plain connection), AUTH, the envelope, DATA and
    /// QUIT.
    func session(
        configuration: SMTPConfiguration, tlsContext: NIOSSLContext, data: String, from: String, to recipients: [String]
    ) async throws {
        _ = try await reply(to: "greeting", expecting: 220)
        var extensions = try await ehlo(configuration.clientName)
        if configuration.security == .startTLSWhenOffered, extensions.contains(where: { $0.uppercased() == "STARTTLS" }) {
            try await command("STARTTLS", expecting: 220)
            let hostname = configuration.serverHostname
            try await channel.eventLoop.submit { [channel] in
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: tlsContext, serverHostname: hostname), position: .first)
            }.get()
            extensions = try await ehlo(configuration.clientName)
        }
        if let username = configuration.username {
            try await authenticate(username: username, password: configuration.password ?? "", extensions: extensions)
        }
        try await command("MAIL FROM:<\(from)>", expecting: 250)
        for recipient in recipients {
            try await command("RCPT TO:<\(recipient)>", expecting: 250, 251)
        }
        try await command("DATA", expecting: 354)
        try await write(SMTPClient.dotStuffed(data), during: "DATA")
        _ = try await reply(to: "end of DATA", expecting: 250)
        try? await command("QUIT", expecting: 221)
    }

    func close() {
        channel.close(promise: nil)
    }

    private func ehlo(_ name: String) async throws -> [String] {
        try await write("EHLO \(name)\r\n", during: "EHLO")
        return Array(try await reply(to: "EHLO", expecting: 250).lines.dropFirst())
    }

    private func authenticate(username: String, password: String, extensions: [String]) async throws {
        let mechanisms = extensions.filter { $0.uppercased().hasPrefix("AUTH") }.flatMap {
            $0.dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "=" }).map { $0.uppercased() }
        }
        if mechanisms.contains("PLAIN") {
            let credentials = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            try await write("AUTH PLAIN \(credentials)\r\n", during: "AUTH PLAIN")
            _ = try await reply(to: "AUTH PLAIN", expecting: 235)
        } else if mechanisms.contains("LOGIN") {
            try await command("AUTH LOGIN", expecting: 334)
            try await write(Data(username.utf8).base64EncodedString() + "\r\n", during: "AUTH LOGIN user name")
            _ = try await reply(to: "AUTH LOGIN user name", expecting: 334)
            try await write(Data(password.utf8).base64EncodedString() + "\r\n", during: "AUTH LOGIN password")
            _ = try await reply(to: "AUTH LOGIN password", expecting: 235)
        } else {
            throw SMTPError.authenticationUnsupported(offered: extensions.filter { $0.uppercased().hasPrefix("AUTH") })
        }
    }

    /// Sends a command line and checks the reply code; `line` is also the name used in errors (never a credential).
    private func command(_ line: String, expecting codes: Int...) async throws {
        try await write(line + "\r\n", during: line)
        let reply = try await nextReply(during: line)
        guard codes.contains(reply.code) else { throw SMTPError.rejected(command: line, reply: reply) }
    }

    private func reply(to what: String, expecting code: Int) async throws -> SMTPReply {
        let reply = try await nextReply(during: what)
        guard reply.code == code else { throw SMTPError.rejected(command: what, reply: reply) }
        return reply
    }

    private func nextReply(during what: String) async throws -> SMTPReply {
        do {
            guard let reply = try await replies.next() else { throw SMTPError.connectionClosed(during: what, cause: nil) }
            return reply
        } catch is SMTPReadTimeout {
            throw SMTPError.timeout(during: what)
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError.connectionClosed(during: what, cause: error)
        }
    }

    /// Writes `text`; when the connection is gone, throws ``SMTPError/connectionClosed(during:cause:)`` with the
    /// reason it ended (a failed TLS handshake, say) rather than the write's own "closed channel".
    private func write(_ text: String, during what: String) async throws {
        do {
            try await channel.writeAndFlush(ByteBuffer(string: text)).get()
        } catch let writeError {
            var cause: any Error = writeError
            do { _ = try await replies.next() } catch { cause = error }
            throw SMTPError.connectionClosed(during: what, cause: cause)
        }
    }
}
