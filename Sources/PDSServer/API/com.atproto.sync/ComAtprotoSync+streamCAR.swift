import ATCore
import ActorStore
import Dispatch
import Hummingbird
import Synchronization

extension ComAtprotoSync {
    /// A CAR response that streams the repo (`getRepo`, `getCheckout`) in chunks of about 64 KiB.
    ///
    /// The export runs in one read transaction (a consistent snapshot) on the actor's reader queue, and hands each
    /// chunk to the response writer. The reader waits once it is ``CARStreamGate/aheadLimit`` chunks ahead of the
    /// socket, so a slow client holds a reader connection rather than filling memory; a client that goes away
    /// ends the export.
    /// - Note: Headers are sent before the export starts, so a failure half-way cuts the connection (as the
    ///   reference does); the availability and root checks run before this.
    /// - Parameters:
    ///   - did: the repo.
    ///   - since: only blocks of commits after this revision, or `nil` for the whole repo.
    func streamedCAR(_ did: DID, since: TID?) -> Response {
        let store = actorStore
        let body = ResponseBody { writer in
            let (chunks, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self)
            let gate = CARStreamGate()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await store.read(did) { reader in
                            try reader.repo.exportCAR(since: since) { chunk in
                                continuation.yield(chunk)
                                try gate.waitForConsumer()
                            }
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                defer { gate.abandon() }
                for try await chunk in chunks {
                    try await writer.write(ByteBuffer(bytes: chunk))
                    gate.consumed()
                }
                try await group.waitForAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: Self.carContentType], body: body)
    }
}

/// Flow control between a synchronous CAR export (on a database reader thread) and the async response writer.
final class CARStreamGate: Sendable {
    /// How many chunks the export may run ahead of the socket.
    static let aheadLimit = 4

    private let slots = DispatchSemaphore(value: CARStreamGate.aheadLimit)
    private let abandoned = Atomic<Bool>(false)

    /// Called by the export after each chunk: blocks while the export is too far ahead.
    /// - Throws: `CancellationError` once the consumer has gone away.
    func waitForConsumer() throws {
        slots.wait()
        if abandoned.load(ordering: .acquiring) { throw CancellationError() }
    }

    /// Called by the writer after each chunk is written.
    func consumed() { slots.signal() }

    /// Called when the writer stops: releases a waiting export, which then stops.
    func abandon() {
        abandoned.store(true, ordering: .releasing)
        slots.signal()
    }
}
