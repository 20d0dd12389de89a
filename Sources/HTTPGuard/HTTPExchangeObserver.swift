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
package final class HTTPExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    private let connection: ConnectionGuardHandler
    private var firstRequest = true
    private var readingRequest = false
    private var responseOpen = false
    private var closeAfterResponse = false
    /// The request being read was refused: its remaining parts are dropped.
    private var discarding = false

    /// An observer reporting to `connection`.
    /// - Parameters:
    ///   - connection: the connection's guard.
    package init(connection: ConnectionGuardHandler) {
        self.connection = connection
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if firstRequest, head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) {
                connection.upgradeRequested()
                context.fireChannelRead(data)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                return
            }
            firstRequest = false
            if let (status, message) = oversized(head) {
                // Not passed on: the connection ends with this answer (after any response still in flight).
                discarding = true
                closeAfterResponse = true
                return answer(context: context, status: status, message: message)
            }
            readingRequest = true
            connection.requestHeadReceived()
        case .body:
            if discarding { return }
        case .end:
            if discarding { return }
            readingRequest = false
            connection.requestEnded()
        }
        context.fireChannelRead(data)
    }

    /// Why a parsed head is refused: a URL or header fields beyond the limits (the decoder bounds only the header
    /// fields, and only while they arrive in pieces).
    private func oversized(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String)? {
        let limits = connection.limits
        if head.uri.utf8.count > limits.maxRequestLineBytes { return (.uriTooLong, "Request URL too long") }
        let headerBytes = head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        if head.headers.count > limits.maxHeaderCount || headerBytes > limits.maxHeaderBytes {
            return (.requestHeaderFieldsTooLarge, "Request header fields too large")
        }
        return nil
    }

    /// Answers with an XRPC error and closes, unless a response is still in flight (then the connection closes after
    /// it: ``closeAfterResponse``).
    private func answer(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
        guard !responseOpen, connection.outstanding == 0 else { return }
        let body = GuardResponse.body(error: "InvalidRequest", message: message)
        context.write(wrapOutboundOut(.head(GuardResponse.head(status, contentLength: body.readableBytes))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
            if case .success = result { self.connection.closeAfterAnswer() } else { context.close(promise: nil) }
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
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
        var (status, message) = GuardResponse.forParseError(parseError)
        if parseError == .headerOverflow, !connection.requestLineComplete {
            (status, message) = (.uriTooLong, "Request URL too long")
        } else if parseError == .invalidVersion, connection.bareLineFeed {
            (status, message) = (.badRequest, "Malformed request: lines must end with CRLF")
        }
        answer(context: context, status: status, message: message)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
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
                written.futureResult.assumeIsolated().whenComplete { result in
                    if case .success = result { self.connection.closeAfterAnswer() } else { context.close(promise: nil) }
                }
                return
            }
        }
        context.write(data, promise: promise)
    }
}
