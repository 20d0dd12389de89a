import NIOCore

/// One SMTP reply: its code and its text lines (several for a multi-line reply such as EHLO's).
package struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    /// The three-digit code, for example 250.
    package var code: Int
    /// The text of each line, without the code and separator.
    package var lines: [String]

    /// Creates a reply.
    package init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    package var description: String { "\(code) " + lines.joined(separator: " / ") }
}

/// Decodes SMTP replies (RFC 5321 §4.2): lines `<code>-<text>` continue a reply, `<code> <text>` (or a bare code)
/// ends it. Lines end with CRLF; a bare LF is tolerated.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    /// The longest reply line accepted (RFC 5321 allows 512 octets; servers' EHLO lines stay far below this).
    static let maxLineLength = 4096
    private var pending: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLineLength { throw SMTPError.malformedReply("line too long") }
            return .needMoreData
        }
        let length = view.distance(from: view.startIndex, to: newline) + 1
        var utf8 = buffer.readBytes(length: length) ?? []
        // Not on `String`: there CRLF is one Character.
        while utf8.last == UInt8(ascii: "\n") || utf8.last == UInt8(ascii: "\r") { utf8.removeLast() }
        let line = String(decoding: utf8, as: UTF8.self)
        guard utf8.count >= 3, utf8[0..<3].allSatisfy({ (48...57).contains($0) }), let code = Int(line.prefix(3))
        else { throw SMTPError.malformedReply(line) }
        let separator: UInt8? = utf8.count > 3 ? utf8[3] : nil
        guard separator == nil || separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw SMTPError.malformedReply(line)
        }
        pending.append(utf8.count > 4 ? String(line.dropFirst(4)) : "")
        if separator == UInt8(ascii: "-") { return .continue }
        context.fireChannelRead(wrapInboundOut(SMTPReply(code: code, lines: pending)))
        pending = []
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Hands each decoded reply to the session's stream; ends the stream when the connection fails, closes or stays
/// silent past the read timeout.
final class SMTPReplyForwarder: ChannelInboundHandler {
    typealias InboundIn = SMTPReply
    private let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation

    init(_ continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            continuation.finish(throwing: SMTPReadTimeout())
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}

/// The server stayed silent past the read timeout (mapped to ``SMTPError/timeout(during:)``).
struct SMTPReadTimeout: Error {}
