import NIOCore
import NIOHTTP1

/// Sits just above the HTTP decoder and tells the ``ConnectionGuardHandler`` where requests and responses begin and
/// end; answers a request the decoder cannot parse.
///
/// A parse error between requests (a malformed request line or head, a bad version, oversized headers, a TLS
/// handshake on the plain port) is answered here (`400`/`431`/`505`, `Connection: close`) and the connection closed,
/// after any response still in flight. A parse error inside a body (bad chunk framing, the client hanging up mid-body)
/// is passed on to the handler reading the body, so it fails instead of seeing a shorter body, and the connection
/// closes after its response.
///
/// The first request of a connection may ask for a WebSocket: the observer then hands the connection to the WebSocket
/// layer and leaves the pipeline (after the upgrade the bytes are no longer HTTP).
final class HTTPExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: ConnectionGuardHandler
    private var firstRequest = true
    private var readingRequest = false
    private var responseOpen = false
    private var closeAfterResponse = false

    /// An observer reporting to `connection`.
    /// - Parameters:
    ///   - connection: the connection's guard.
    init(connection: ConnectionGuardHandler) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if firstRequest, head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) {
                connection.upgradeRequested()
                context.fireChannelRead(data)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                return
            }
            firstRequest = false
            readingRequest = true
            connection.requestHeadReceived()
        case .body:
            break
        case .end:
            readingRequest = false
            connection.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        closeAfterResponse = true
        if readingRequest {
            readingRequest = false
            context.fireErrorCaught(error)
            return
        }
        // Between requests: nothing reads the error; answer it once the responses in flight are out.
        guard !responseOpen, connection.outstanding == 0 else { return }
        var (status, message) = GuardResponse.forParseError(parseError)
        if parseError == .headerOverflow, !connection.requestLineComplete {
            (status, message) = (.uriTooLong, "Request URL too long")
        } else if parseError == .invalidVersion, connection.bareLineFeed {
            (status, message) = (.badRequest, "Malformed request: lines must end with CRLF")
        }
        let body = GuardResponse.body(error: "InvalidRequest", message: message)
        context.write(wrapOutboundOut(.head(GuardResponse.head(status, contentLength: body.readableBytes))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            responseOpen = true
            connection.responseStarted()
            if closeAfterResponse {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
        case .body:
            break
        case .end:
            responseOpen = false
            connection.responseEnded()
            if closeAfterResponse, connection.outstanding == 0 {
                let written = promise ?? context.eventLoop.makePromise()
                context.write(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                return
            }
        }
        context.write(data, promise: promise)
    }
}
