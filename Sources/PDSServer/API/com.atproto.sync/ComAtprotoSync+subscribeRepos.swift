import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Sequencer
import ServiceLifecycle

extension ComAtprotoSync {
    /// How long a failing subscription waits for its error and close frames to be taken by the socket and for the
    /// client's close frame, before it closes the TCP connection regardless.
    static let subscriptionCloseGrace: Duration = .seconds(2)

    /// How a subscription's tasks end.
    private enum SubscriptionEnd: Sendable {
        /// The client closed the connection (or the inbound side failed).
        case clientClosed
        /// The stream ended: the sequencer or the server is shutting down, or the task was cancelled.
        case finished
        /// The stream failed (``SequencerError/consumerTooSlow``, ``SequencerError/futureCursor``, storage errors).
        case failed(any Error)
        /// The error and close frames were handed to the socket.
        case closeSent
        /// ``subscriptionCloseGrace`` passed.
        case graceOver
    }

    /// `com.atproto.sync.subscribeRepos`: the firehose, one binary message per event from the ``Outbox``.
    ///
    /// - No `cursor`: live events only. A cursor: backfill after it, then live, with no gap and no duplicate. The
    ///   backfill holds about one page in memory, and past `PDS_MAX_CONCURRENT_BACKFILLS` concurrent backfills a
    ///   subscriber waits its turn (see ``Outbox``); frames are written only as fast as the socket takes them.
    /// - A cursor in the future or a consumer more than `PDS_MAX_SUBSCRIPTION_BUFFER` events behind: an error frame
    ///   (`FutureCursor`, `ConsumerTooSlow`), then close code 1008 with the error name as the reason, then the TCP
    ///   connection is closed as soon as the client answers the close or after ``subscriptionCloseGrace``: a
    ///   consumer that stopped reading is dropped at once, not when it would ask for its next event (its socket is
    ///   full, so that would be never) and not after the library's close timeout.
    /// - The inbound side is read concurrently so control frames (the library's 30 s auto-ping's pongs, the
    ///   client's close) are processed; when the client goes away the outbox is cancelled.
    /// - Graceful shutdown ends the stream (the outbox also ends when the sequencer stops).
    func subscribeRepos(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<WebSocketChannelRequestContext>
    ) async throws {
        let logger = context.logger
        let channel = context.requestContext.channel
        var cursor: Int64?
        var invalidCursor = false
        if let raw = context.request.uri.queryParameters["cursor"] {
            if let value = Int64(raw), value >= 0 { cursor = value } else { invalidCursor = true }
        }
        let sequencer = self.sequencer
        let maxBuffer = maxSubscriptionBuffer
        let requestedCursor = cursor
        defer {
            // What a backfill freed goes back to the system once no backfill runs (its connection's buffers are freed
            // by the time the trim runs); the gate does the same when its last permit comes back.
            if requestedCursor != nil && sequencer.backfillGate.running == 0 { FreedMemory.releaseSoon() }
        }
        await withTaskGroup(of: SubscriptionEnd.self) { group in
            group.addTask {
                do {
                    // Ends when the client closes the connection.
                    for try await _ in inbound {}
                } catch {}
                return .clientClosed
            }
            let end: SubscriptionEnd
            if invalidCursor {
                end = .failed(SubscriptionRefusal.invalidCursor)
            } else {
                group.addTask {
                    await Self.stream(cursor: requestedCursor, maxBuffer: maxBuffer, sequencer: sequencer, to: outbound)
                }
                end = await group.next() ?? .finished
            }
            guard case .failed(let error) = end else {
                group.cancelAll()
                return
            }
            let (frame, name) = Self.errorFrame(for: error, logger: logger)
            logger.info("Closing a subscribeRepos connection with an error frame", metadata: ["error": "\(name)"])
            // The inbound task keeps running: it ends when the client answers the close frame.
            group.addTask {
                do {
                    try await outbound.write(.binary(ByteBuffer(bytes: frame.bytes)))
                    try await outbound.close(.policyViolation, reason: name)
                } catch {}
                return .closeSent
            }
            group.addTask {
                try? await Task.sleep(for: Self.subscriptionCloseGrace)
                return .graceOver
            }
            while let next = await group.next() {
                if case .clientClosed = next { break }
                if case .graceOver = next { break }
            }
            group.cancelAll()
            // Pending writes are discarded: the client either answered the close (it has every frame) or did not
            // take them within the grace period.
            channel.close(promise: nil)
        }
    }

    /// Streams the outbox to the socket until it ends; a live buffer overflow ends it at once, even while a write
    /// waits for a socket the client no longer reads.
    private static func stream(
        cursor: Int64?, maxBuffer: Int, sequencer: Sequencer, to outbound: WebSocketOutboundWriter
    ) async -> SubscriptionEnd {
        let (overflows, overflowed) = AsyncStream.makeStream(of: Void.self)
        return await withTaskGroup(of: SubscriptionEnd.self) { group in
            group.addTask {
                let frames = Outbox(sequencer: sequencer).frames(
                    cursor: cursor, maxBuffer: maxBuffer,
                    onOverflow: {
                        overflowed.yield()
                        overflowed.finish()
                    },
                    ticket: sequencer.subscribers.register())
                var iterator = frames.cancelOnGracefulShutdown().makeAsyncIterator()
                while true {
                    let bytes: [UInt8]?
                    do {
                        bytes = try await iterator.next()
                    } catch is CancellationError {
                        return .finished
                    } catch {
                        return .failed(error)
                    }
                    guard let bytes else { return .finished }
                    do {
                        try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    } catch {
                        // The connection is gone (or the write was cancelled): nobody to tell.
                        return .clientClosed
                    }
                }
            }
            group.addTask {
                for await _ in overflows { return .failed(SequencerError.consumerTooSlow) }
                return .finished
            }
            let end = await group.next() ?? .finished
            group.cancelAll()
            overflowed.finish()
            return end
        }
    }

    /// The error frame and close reason for a failed subscription; unexpected errors are logged and sent as
    /// `InternalServerError` (their text stays in the log).
    private static func errorFrame(for error: any Error, logger: Logger) -> (SubscriptionFrame, String) {
        switch error {
        case SubscriptionRefusal.invalidCursor:
            return (
                .error(name: XRPCErrorName.invalidRequest, message: "cursor must be a non-negative integer"),
                XRPCErrorName.invalidRequest
            )
        case let error as SequencerError:
            if let frame = error.subscriptionFrame, case .error(let name, _) = frame { return (frame, name) }
        default:
            break
        }
        logger.error("subscribeRepos failed", metadata: ["error": "\(error)"])
        return (
            .error(name: XRPCErrorName.internalServerError, message: "Internal Server Error"),
            XRPCErrorName.internalServerError
        )
    }

    /// A subscription refused before it starts.
    private enum SubscriptionRefusal: Error {
        case invalidCursor
    }
}
