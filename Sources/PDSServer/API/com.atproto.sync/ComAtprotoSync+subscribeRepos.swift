import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import Sequencer
import ServiceLifecycle

extension ComAtprotoSync {
    /// `com.atproto.sync.subscribeRepos`: the firehose, one binary message per event from the ``Outbox``.
    ///
    /// - No `cursor`: live events only. A cursor: backfill after it, then live, with no gap and no duplicate.
    /// - A cursor in the future or a consumer more than `PDS_MAX_SUBSCRIPTION_BUFFER` events behind: an error frame
    ///   (`FutureCursor`, `ConsumerTooSlow`), then close code 1008 with the error name as the reason.
    /// - The inbound side is read concurrently so control frames (the library's 30 s auto-ping's pongs, the
    ///   client's close) are processed; when the client goes away the outbox is cancelled.
    /// - Graceful shutdown ends the stream (the outbox also ends when the sequencer stops).
    func subscribeRepos(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<some WebSocketRequestContext>
    ) async throws {
        let logger = context.logger
        var cursor: Int64?
        if let raw = context.request.uri.queryParameters["cursor"] {
            guard let value = Int64(raw), value >= 0 else {
                try await Self.closeWithError(
                    .error(name: XRPCErrorName.invalidRequest, message: "cursor must be a non-negative integer"),
                    name: XRPCErrorName.invalidRequest, outbound: outbound)
                return
            }
            cursor = value
        }
        let sequencer = self.sequencer
        let maxBuffer = maxSubscriptionBuffer
        let requestedCursor = cursor
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Ends when the client closes the connection.
                    for try await _ in inbound {}
                }
                group.addTask {
                    let frames = Outbox(sequencer: sequencer).frames(cursor: requestedCursor, maxBuffer: maxBuffer)
                    for try await bytes in frames.cancelOnGracefulShutdown() {
                        try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    }
                }
                _ = try await group.next()
                group.cancelAll()
            }
        } catch let error as SequencerError {
            guard let frame = error.subscriptionFrame, case .error(let name, _) = frame else {
                logger.error("subscribeRepos failed", metadata: ["error": "\(error)"])
                try await Self.closeWithError(
                    .error(name: XRPCErrorName.internalServerError, message: "Internal Server Error"), name: XRPCErrorName.internalServerError,
                    outbound: outbound)
                return
            }
            try await Self.closeWithError(frame, name: name, outbound: outbound)
        } catch is CancellationError {
            return
        } catch {
            logger.debug("subscribeRepos ended", metadata: ["error": "\(error)"])
        }
    }

    /// Sends an error frame and closes the socket with 1008 (policy violation) and `name` as the reason.
    static func closeWithError(
        _ frame: SubscriptionFrame, name: String, outbound: WebSocketOutboundWriter
    ) async throws {
        try await outbound.write(.binary(ByteBuffer(bytes: frame.bytes)))
        try await outbound.close(.policyViolation, reason: name)
    }
}
