import NIOCore

/// The limits every HTTP connection is held to, so that one client cannot hold the server's descriptors, memory or
/// attention (our extension; the reference PDS relies on Node's defaults and its reverse proxy).
///
/// Timeouts answer what a well-behaved client never trips: a keep-alive connection with nothing to say, a request head
/// that does not arrive, a body that trickles, a response nobody reads. Sizes bound what is buffered before a handler
/// runs. The connection caps keep the process below its file-descriptor limit and one client address from taking a
/// large share of it.
package struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request in flight and nothing received for this long is closed (the reference's
    /// `keepAliveTimeout`).
    package var idleTimeout: TimeAmount = .seconds(90)
    /// A request head must arrive whole within this long of its first byte (`408` otherwise).
    package var headerTimeout: TimeAmount = .seconds(20)
    /// The window over which a request body's progress is measured.
    package var bodyWindow: TimeAmount = .seconds(20)
    /// A request body must deliver at least this many bytes per second, averaged over each ``bodyWindow`` in which
    /// the server was asking for data (`408` otherwise).
    package var bodyMinimumBytesPerSecond: Int = 1024
    /// A connection whose response has not been able to make progress (the peer reads nothing) for this long is
    /// closed.
    package var writeTimeout: TimeAmount = .seconds(60)
    /// On graceful shutdown, how long a WebSocket gets to finish its closing handshake before it is closed outright
    /// (a peer that reads nothing would otherwise hold the shutdown until the write timeout).
    package var webSocketShutdownGrace: TimeAmount = .seconds(3)
    /// The longest request line (method, URL, version) accepted (`414` otherwise).
    package var maxRequestLineBytes: Int = 32 * 1024
    /// The most header bytes accepted, request line excluded (`431` otherwise).
    package var maxHeaderBytes: Int = 32 * 1024
    /// The most header fields accepted (`431` otherwise).
    package var maxHeaderCount: Int = 200
    /// The most connections open at once. At the cap, the longest-idle connection of the address holding the most is
    /// closed to make room; when every connection is busy the newcomer is answered `503` and closed.
    package var maxConnections: Int = 4096
    /// The most connections open at once from one client address (`429` and closed beyond it); `0` for no limit.
    /// Addresses exempted by the registry (trusted reverse proxies) are not counted against it.
    package var maxConnectionsPerAddress: Int = 256

    /// The defaults.
    package init() {}

    /// Bytes a request body must deliver in one ``bodyWindow``.
    package var bodyMinimumBytesPerWindow: Int {
        Int((Int64(bodyMinimumBytesPerSecond) * bodyWindow.nanoseconds) / 1_000_000_000)
    }

    /// The default ``maxConnections`` for a process allowed `fileDescriptorLimit` descriptors: a quarter of them, at
    /// least 64 and at most 16,384, leaving the rest to the databases (each open actor store holds several).
    /// - Parameters:
    ///   - fileDescriptorLimit: the process's `RLIMIT_NOFILE` soft limit.
    package static func defaultMaxConnections(fileDescriptorLimit: Int) -> Int {
        min(16_384, max(64, fileDescriptorLimit / 4))
    }
}
