import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of the WebSocket upgrade router: the library's basic one plus the connection's channel, so a
/// subscription can close the TCP connection itself (a consumer that stopped reading never answers a close frame,
/// and frames queued for it would never drain).
package struct WebSocketChannelRequestContext: RequestContext, WebSocketRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let webSocket: WebSocketHandlerReference<Self>
    /// The connection (after the upgrade it carries the WebSocket).
    package let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
