import ATCore
import Foundation
import Hummingbird
import HummingbirdWebSocket

/// `GET /export/stream?cursor=<seq>`: a WebSocket sending every operation as one JSON text message, the `/export`
/// record with its sequence number: `{type: "sequenced_op", seq, did, operation, cid, nullified, createdAt}`.
///
/// With `cursor`, it first sends the stored operations after that sequence number, then each new one as it is
/// committed; without, only new ones. Messages are in sequence order, which is `/export` order (`createdAt` never
/// runs backwards). Operations are read from the store on each wake-up (``PLCOperationFeed``), so a slow reader
/// only delays itself.
extension EmbeddedPLCDirectory {
    /// The page read from the store per round.
    static let streamPageSize = 1000

    /// Registers `/export/stream` on a WebSocket router.
    /// - Parameters:
    ///   - router: the router consulted on upgrade requests.
    package func addWebSocketRoutes<Context: WebSocketRequestContext>(to router: Router<Context>) {
        router.ws(
            "export/stream",
            shouldUpgrade: { request, _ in
                if let raw = request.uri.queryParameters.get("cursor"), (Int64(raw) ?? -1) < 0 {
                    throw PLCHTTPError(status: .badRequest, message: "Invalid cursor parameter")
                }
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, context in
                let cursor = context.request.uri.queryParameters.get("cursor").flatMap { Int64($0) }
                try await self.streamExport(after: cursor, inbound: inbound, outbound: outbound)
            })
    }

    /// Sends operations after `cursor` (or from now) until the peer closes or the server shuts down.
    private func streamExport(after cursor: Int64?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter)
        async throws
    {
        let wakeUps = store.feed.subscribe()
        let start: Int64
        if let cursor { start = cursor } else { start = try await store.latestSequence() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Returns when the peer closes; the stream has nothing to read from it.
                for try await _ in inbound.messages(maxSize: 1 << 16) {}
            }
            group.addTask {
                var wakeUp = wakeUps.makeAsyncIterator()
                var last = start
                while !Task.isCancelled {
                    let page = try await self.store.export(after: .sequence(last), count: Self.streamPageSize)
                    for item in page {
                        var record = Self.exportRecord(item.entry)
                        record["type"] = .string("sequenced_op")
                        record["seq"] = .number(String(item.seq))
                        try await outbound.write(.text(JSONValue.object(record).serializedString))
                        last = item.seq
                    }
                    if page.count < Self.streamPageSize, await wakeUp.next() == nil { return }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
