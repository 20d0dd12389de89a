import Logging
import NIOCore
import NIOHTTP1

/// The first handler of every HTTP connection, below the HTTP decoder: it admits the connection through the
/// ``ConnectionRegistry``, enforces the ``ConnectionLimits`` timeouts and the request-head size, and answers what it
/// refuses with a short XRPC error before closing.
///
/// It sees raw bytes; where a request starts and ends it learns from the ``HTTPExchangeObserver`` above the decoder
/// (the two run on the channel's event loop). One timer per connection, re-armed only when the nearest deadline moves
/// earlier; when it fires, the state decides what is due.
package final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer
    package typealias OutboundIn = IOData
    package typealias OutboundOut = IOData

    /// Where the connection is in its current exchange.
    private enum Phase {
        /// Waiting for, or reading, a request head; `firstByte` is `nil` until a byte of it arrives.
        case head(firstByte: NIODeadline?, bytes: Int, sawLineEnd: Bool)
        /// Reading a request body: the bytes received in the current progress window.
        case body(windowStart: NIODeadline, windowBytes: Int)
        /// A WebSocket upgrade was requested; waiting for the `101` (or the refusal, which closes).
        case upgrading(since: NIODeadline)
        /// A WebSocket: the WebSocket layer (pings, the firehose's own bounds) governs it from here on.
        case upgraded
    }

    /// The limits.
    let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    private let logger: Logger
    private var admissionID: UInt64?
    private var phase: Phase = .head(firstByte: nil, bytes: 0, sawLineEnd: false)
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    /// Requests whose response has not been written to the end yet.
    private(set) var outstanding = 0
    /// Whether the current request line ended in a bare LF (RFC 9112 requires CRLF).
    private(set) var bareLineFeed = false
    /// Whether a response has been started and not yet written to its end.
    private var responseInProgress = false
    /// Whether the server has asked for more bytes and none have arrived since (the client is the one waiting).
    private var readPending = false
    private var unwritableSince: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var closing = false
    /// The connection's output is shut after an answer ending it; what the peer still sends is read and dropped until
    /// it closes (see ``closeAfterAnswer()``).
    private var draining = false
    /// The server is shutting down: close once no response is owed.
    private var quiescing = false
    /// The server is shutting down and this is a WebSocket: by then it is closed, handshake done or not.
    private var webSocketCloseDeadline: NIODeadline?
    /// This handler's own context (exchange events arrive from the observer, which has another).
    private var context: ChannelHandlerContext?

    /// A guard.
    /// - Parameters:
    ///   - limits: the limits.
    ///   - registry: the server's connection registry.
    ///   - logger: where refusals and timeouts are logged (debug: they are the client's doing).
    package init(limits: ConnectionLimits, registry: ConnectionRegistry, logger: Logger) {
        self.limits = limits
        self.registry = registry
        self.logger = logger
    }

    // MARK: Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { activate(context: context) }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        cancelTimer()
        if let admissionID { registry.release(admissionID) }
        admissionID = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        activate(context: context)
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        if let admissionID { registry.release(admissionID) }
        admissionID = nil
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else {
            if draining { context.read() }
            return
        }
        let count = unwrapInboundIn(data).readableBytes
        lastActivity = context.eventLoop.now
        readPending = false
        var startedHead = false
        switch phase {
        case .head(let firstByte, let bytes, let sawLineEnd):
            startedHead = firstByte == nil
            var lineEnd = sawLineEnd
            if !lineEnd {
                let view = unwrapInboundIn(data).readableBytesView
                if let index = view.firstIndex(of: UInt8(ascii: "\n")) {
                    lineEnd = true
                    bareLineFeed = index > view.startIndex && view[index - 1] != UInt8(ascii: "\r")
                }
            }
            phase = .head(firstByte: firstByte ?? lastActivity, bytes: bytes + count, sawLineEnd: lineEnd)
        case .body(let windowStart, let windowBytes):
            phase = .body(windowStart: windowStart, windowBytes: windowBytes + count)
        case .upgrading, .upgraded:
            break
        }
        context.fireChannelRead(data)
        // The decoder has parsed what it could; a head still incomplete is held to its size limits.
        if case .head(let firstByte?, let bytes, let sawLineEnd) = phase {
            if !sawLineEnd, bytes > limits.maxRequestLineBytes {
                refuse(context: context, .uriTooLong, error: "InvalidRequest", message: "Request URL too long")
            } else if bytes > limits.maxRequestLineBytes + limits.maxHeaderBytes {
                refuse(
                    context: context, .requestHeaderFieldsTooLarge, error: "InvalidRequest",
                    message: "Request header fields too large")
            } else if startedHead {
                armTimer(for: firstByte + limits.headerTimeout)
            }
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if draining, let event = event as? ChannelEvent, event == .inputClosed {
            return context.close(promise: nil)
        }
        // Graceful shutdown: a connection with nothing in flight closes now, one with requests in flight after their
        // responses (before its first request the framework's own handler is not in the pipeline yet).
        if event is ChannelShouldQuiesceEvent {
            switch phase {
            case .upgrading, .upgraded:
                // The WebSocket layer starts its closing handshake; this bounds how long that may take.
                let deadline = context.eventLoop.now + limits.webSocketShutdownGrace
                webSocketCloseDeadline = deadline
                armTimer(for: deadline)
            case .head, .body:
                quiescing = true
                if outstanding == 0 { return close(context: context) }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            unwritableSince = nil
        } else if unwritableSince == nil {
            let now = context.eventLoop.now
            unwritableSince = now
            armTimer(for: now + limits.writeTimeout)
        }
        context.fireChannelWritabilityChanged()
    }

    package func read(context: ChannelHandlerContext) {
        readPending = true
        context.read()
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if closing {  // the guard has answered; nothing may follow its response
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if case .upgrading = phase, case .byteBuffer(let buffer) = unwrapOutboundIn(data),
            buffer.readableBytesView.starts(with: "HTTP/1.1 101".utf8)
        {
            phase = .upgraded
        }
        context.write(data, promise: promise)
    }

    // MARK: Exchange events (from the HTTPExchangeObserver)

    /// Whether the request head being read has a complete request line (a `\n` arrived).
    var requestLineComplete: Bool {
        if case .head(_, _, let sawLineEnd) = phase { return sawLineEnd }
        return true
    }

    /// A request head was parsed: a response is now owed.
    func requestHeadReceived() {
        outstanding += 1
        if let admissionID { registry.setIdle(admissionID, since: nil) }
        let now = context?.eventLoop.now ?? .now()
        phase = .body(windowStart: now, windowBytes: 0)
        armTimer(for: now + limits.bodyWindow)
    }

    /// The request's body ended: whatever follows is the next request's head.
    func requestEnded() {
        phase = .head(firstByte: nil, bytes: 0, sawLineEnd: false)
    }

    /// A response head is being written.
    func responseStarted() {
        responseInProgress = true
    }

    /// A response was written to its end.
    func responseEnded() {
        responseInProgress = false
        outstanding = max(0, outstanding - 1)
        guard outstanding == 0 else { return }
        if quiescing, let context {
            // After the response's last bytes (the end is being written now; the flush follows).
            context.eventLoop.assumeIsolated().execute { self.close(context: context) }
            return
        }
        let now = context?.eventLoop.now ?? .now()
        lastActivity = now
        if let admissionID { registry.setIdle(admissionID, since: now) }
        armTimer(for: now + limits.idleTimeout)
    }

    /// The client asked for a WebSocket: no request timeouts from here on, only the handshake's.
    func upgradeRequested() {
        outstanding = 0
        if let admissionID { registry.setIdle(admissionID, since: nil) }
        let now = context?.eventLoop.now ?? .now()
        phase = .upgrading(since: now)
        armTimer(for: now + limits.headerTimeout)
    }

    // MARK: Admission and deadlines

    private func activate(context: ChannelHandlerContext) {
        guard admissionID == nil, !closing else { return }
        let address = context.channel.remoteAddress?.ipAddress ?? "local"
        lastActivity = context.eventLoop.now
        switch registry.admit(address: address, channel: context.channel, now: lastActivity) {
        case .admitted(let id, let evicted):
            admissionID = id
            armTimer(for: lastActivity + limits.idleTimeout)
            if let evicted {
                logger.debug("Closing an idle connection to make room", metadata: ["connection.limit": "total"])
                evicted.close(promise: nil)
            }
        case .refused(.perAddress):
            logger.debug("Connection refused", metadata: ["connection.limit": "perAddress", "client": "\(address)"])
            refuse(
                context: context, .tooManyRequests, error: "RateLimitExceeded",
                message: "Too many connections from this address", extraHeaders: [("retry-after", "5")])
        case .refused(.total):
            logger.debug("Connection refused", metadata: ["connection.limit": "total"])
            refuse(
                context: context, .serviceUnavailable, error: "ServiceUnavailable",
                message: "Too many connections; try again shortly", extraHeaders: [("retry-after", "5")])
        }
    }

    private func armTimer(for deadline: NIODeadline) {
        guard let context, !closing else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            evaluate(context: context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    /// Acts on whatever deadline has passed and arms the timer for the next one.
    private func evaluate(context: ChannelHandlerContext) {
        guard !closing else { return }
        let now = context.eventLoop.now
        var next: NIODeadline?
        func due(_ deadline: NIODeadline) -> Bool {
            if now >= deadline { return true }
            next = min(next ?? deadline, deadline)
            return false
        }
        if let webSocketCloseDeadline, due(webSocketCloseDeadline) {
            logger.debug("Closing a WebSocket still open at shutdown", metadata: ["connection.limit": "shutdown"])
            return close(context: context)
        }
        if let unwritableSince, due(unwritableSince + limits.writeTimeout) {
            logger.debug("Closing a connection whose peer reads nothing", metadata: ["connection.limit": "write"])
            return close(context: context)
        }
        switch phase {
        case .head(let firstByte, _, _) where outstanding == 0:
            if let firstByte {
                if due(firstByte + limits.headerTimeout) {
                    return refuse(
                        context: context, .requestTimeout, error: "RequestTimeout",
                        message: "The request head was not received in time")
                }
            } else if due(lastActivity + limits.idleTimeout) {
                return close(context: context)
            }
        case .head:
            break  // a response is being produced; the next head waits for it
        case .body(let windowStart, let windowBytes):
            if due(windowStart + limits.bodyWindow) {
                if readPending, windowBytes < limits.bodyMinimumBytesPerWindow {
                    return refuse(
                        context: context, .requestTimeout, error: "RequestTimeout",
                        message: "The request body is arriving too slowly")
                }
                phase = .body(windowStart: now, windowBytes: 0)
                _ = due(now + limits.bodyWindow)
            }
        case .upgrading(let since):
            if due(since + limits.headerTimeout) { return close(context: context) }
        case .upgraded:
            break
        }
        if let next { armTimer(for: next) }
    }

    /// Answers with an error of its own when no response is in flight, then closes.
    private func refuse(
        context: ChannelHandlerContext, _ status: HTTPResponseStatus, error: String, message: String,
        extraHeaders: [(String, String)] = []
    ) {
        guard !closing else { return }
        guard !responseInProgress else { return close(context: context) }
        logger.debug("Refusing a request", metadata: ["http.status": "\(status.code)", "reason": "\(message)"])
        closing = true  // first: whatever a handler writes from here on is dropped
        cancelTimer()
        failRequestBody(context: context, status: status, message: message)
        let bytes = GuardResponse.bytes(status, error: error, message: message, extraHeaders: extraHeaders)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes))).assumeIsolated().whenComplete { result in
            if case .success = result { self.closeAfterAnswer() } else { context.close(promise: nil) }
        }
        // A peer that never reads could hold the write: the close happens regardless, shortly after.
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) { context.close(promise: nil) }
    }

    /// How long a connection ended by an answer of the guard's (or the observer's) may linger, reading and dropping
    /// what its peer still sends, before it is closed outright.
    static let lingerTime = TimeAmount.seconds(1)

    /// Ends the connection once an answer that ends it has been written: shuts the output, so that the peer reads the
    /// answer and then the end of the stream, and reads and drops whatever the peer still sends (the request it wrote
    /// before the answer arrived) until it closes, at most ``lingerTime``. Closing outright with unread bytes would
    /// reset the connection, and a reset can discard the answer from the peer's buffer before it reads it (RFC 9112
    /// § 9.6).
    func closeAfterAnswer() {
        guard let context, !draining else { return }
        closing = true
        draining = true
        cancelTimer()
        let shutdown = context.eventLoop.makePromise(of: Void.self)
        shutdown.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.close(mode: .output, promise: shutdown)
        context.read()
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) { context.close(promise: nil) }
    }

    /// A handler reading a body that will never arrive whole is failed with ``ConnectionGuardError`` rather than left
    /// to see the stream end (which would look like a complete, shorter body).
    private func failRequestBody(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
        guard case .body = phase else { return }
        phase = .head(firstByte: nil, bytes: 0, sawLineEnd: false)
        context.fireErrorCaught(ConnectionGuardError(status: Int(status.code), message: message))
    }

    private func close(context: ChannelHandlerContext) {
        failRequestBody(context: context, status: .requestTimeout, message: "The connection was closed")
        closing = true
        cancelTimer()
        context.close(promise: nil)
    }
}
