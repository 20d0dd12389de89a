import HTTPGuard
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The guard in the pipeline it runs in (guard, NIO's HTTP/1 server codec, the observer above the decoder) with a
/// small application that answers each request with `200 ok` once its body ended, on an embedded channel whose clock
/// the tests advance.
private final class Harness {
    let channel = EmbeddedChannel()
    let application = Application()

    init(
        limits: ConnectionLimits = Harness.limits, registry: ConnectionRegistry? = nil, address: String = "10.0.0.1"
    ) throws {
        let connection = ConnectionGuardHandler(
            limits: limits, registry: registry ?? ConnectionRegistry(limits: limits), logger: Logger(label: "test"))
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(connection)
        try operations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try operations.addHandler(HTTPExchangeObserver(connection: connection), position: .after(decoder))
        try operations.addHandler(application)
        try channel.connect(to: SocketAddress(ipAddress: address, port: 40000)).wait()
    }

    static var limits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(10)
        limits.headerTimeout = .seconds(2)
        limits.bodyWindow = .seconds(2)
        limits.bodyMinimumBytesPerSecond = 100
        limits.maxRequestLineBytes = 1024
        limits.maxHeaderBytes = 2048
        return limits
    }

    /// Sends bytes as the client.
    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written to the client so far.
    func received() throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { text += String(buffer: buffer) }
        }
        return text
    }

    /// Advances the channel's clock.
    func wait(_ amount: TimeAmount) {
        channel.embeddedEventLoop.advanceTime(by: amount)
    }

    /// Answers every request whose body ended; records what else reached it.
    final class Application: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        var bodyBytes = 0
        var errors: [any Error] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head) where head.headers["upgrade"].first == "websocket":
                let switching = HTTPResponseHead(
                    version: .http1_1, status: .switchingProtocols,
                    headers: ["upgrade": "websocket", "connection": "upgrade"])
                context.writeAndFlush(wrapOutboundOut(.head(switching)), promise: nil)
            case .head: bodyBytes = 0
            case .body(let buffer): bodyBytes += buffer.readableBytes
            case .end: respond(context: context, status: .ok, body: "ok")
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            errors.append(error)
            respond(context: context, status: .badRequest, body: "bad")
        }

        private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
            let head = HTTPResponseHead(
                version: .http1_1, status: status, headers: ["content-length": "\(body.utf8.count)"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

@Suite("Connection guard")
struct ConnectionGuardTests {
    @Test("well-formed requests are served on a kept-alive connection")
    func servesRequests() throws {
        let harness = try Harness()
        try harness.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        let text = try harness.received()
        #expect(text.ranges(of: "HTTP/1.1 200 OK").count == 2)
        #expect(harness.channel.isActive)
    }

    @Test("an idle connection is closed after the idle timeout, not before")
    func idleTimeout() throws {
        let harness = try Harness()
        try harness.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        harness.wait(.seconds(9))
        #expect(harness.channel.isActive)
        harness.wait(.seconds(2))
        #expect(!harness.channel.isActive)
    }

    @Test("a head that does not arrive in time is answered 408 and closed")
    func headTimeout() throws {
        let harness = try Harness()
        try harness.send("GET / HTTP/1.1\r\nHo")
        harness.wait(.seconds(3))
        let text = try harness.received()
        #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(text.contains(#""error":"RequestTimeout""#))
        #expect(!harness.channel.isActive)
    }

    @Test("a body trickling while the server asks for it is cut off with 408, and its reader sees an error")
    func slowBody() throws {
        let harness = try Harness()
        try harness.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        harness.channel.read()  // the server wants more
        harness.wait(.seconds(3))
        let text = try harness.received()
        #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(harness.application.errors.contains { ($0 as? ConnectionGuardError)?.status == 408 })
        #expect(!harness.channel.isActive)
    }

    @Test("a body the server is not asking for is not held against the client")
    func bodyUnderBackpressure() throws {
        let harness = try Harness()
        try harness.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        harness.wait(.seconds(5))
        #expect(harness.channel.isActive)
        #expect(try harness.received().isEmpty)
    }

    @Test("a body arriving steadily is read to its end")
    func steadyBody() throws {
        let harness = try Harness()
        try harness.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        for _ in 0..<10 {
            harness.channel.read()
            try harness.send(String(repeating: "x", count: 100))
            harness.wait(.milliseconds(500))
        }
        #expect(harness.application.bodyBytes == 1000)
        #expect(try harness.received().hasPrefix("HTTP/1.1 200 OK"))
    }

    @Test(
        "malformed requests are answered with their status and closed",
        arguments: [
            ("GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505),
            ("GET / HTTP/1.1\nHost: x\n\n", 400),
            ("GET /\u{0}x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
            ("GET /" + String(repeating: "a", count: 2000) + " HTTP/1.1\r\n\r\n", 414),
            ("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 4000) + "\r\n\r\n", 431),
            ("\u{16}\u{3}\u{1}\u{0}\u{a5}\u{1}\u{0}", 400),
        ])
    func malformed(request: String, status: Int) throws {
        let harness = try Harness()
        try? harness.send(request)
        let text = try harness.received()
        #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(text.prefix(60))")
        #expect(text.lowercased().contains("connection: close"))
        #expect(!harness.channel.isActive)
    }

    @Test("bad chunk framing fails the body's reader, whose response closes the connection")
    func badChunkInBody() throws {
        let harness = try Harness()
        try? harness.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
        #expect(harness.application.errors.contains { $0 is HTTPParserError })
        #expect(ConnectionGuardError.clientFault(harness.application.errors[0])?.status == 400)
        let text = try harness.received()
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(text.lowercased().contains("connection: close"))
        #expect(!harness.channel.isActive)
    }

    @Test("a second connection beyond the per-address cap is refused with 429")
    func perAddressCap() throws {
        var limits = Harness.limits
        limits.maxConnectionsPerAddress = 1
        let registry = ConnectionRegistry(limits: limits)
        let first = try Harness(limits: limits, registry: registry)
        let second = try Harness(limits: limits, registry: registry)
        let text = try second.received()
        #expect(text.hasPrefix("HTTP/1.1 429 Too Many Requests\r\n"))
        #expect(text.lowercased().contains("retry-after: 5"))
        #expect(first.channel.isActive)
        let other = try Harness(limits: limits, registry: registry, address: "10.0.0.2")
        #expect(other.channel.isActive)
        #expect(registry.counts.open == 2)
    }

    @Test("at shutdown a WebSocket whose peer reads nothing is closed after the grace period")
    func webSocketClosedAtShutdown() throws {
        let harness = try Harness()
        try harness.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        #expect(try harness.received().hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        harness.wait(.seconds(60))
        #expect(harness.channel.isActive)  // an open WebSocket is not held to the HTTP idle timeout
        harness.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        harness.wait(.seconds(2))
        #expect(harness.channel.isActive)
        harness.wait(.seconds(2))
        #expect(!harness.channel.isActive)
    }
}
