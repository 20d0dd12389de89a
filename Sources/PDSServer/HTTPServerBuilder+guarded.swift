import HTTPGuard
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket

extension HTTPServerBuilder {
    /// HTTP/1 with the WebSocket upgrade (for `subscribeRepos`), every connection held to `limits` by the connection
    /// guard (``GuardedChildChannel``); the HTTP decoder's header limits come from `limits` too.
    /// - Parameters:
    ///   - webSocketRouter: the router consulted on upgrade requests.
    ///   - limits: the connection limits.
    ///   - registry: the server's connection registry.
    static func guardedHTTP1WebSocketUpgrade<WebSocketRouter: HTTPResponderBuilder>(
        webSocketRouter: WebSocketRouter, limits: ConnectionLimits, registry: ConnectionRegistry
    ) -> HTTPServerBuilder where WebSocketRouter.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: HTTP1Channel.Configuration(
                idleTimeout: nil,  // the guard's own, which also covers slow heads and bodies
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes,
                    maxHeaderFieldCount: limits.maxHeaderCount)))
        return HTTPServerBuilder { responder in
            GuardedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                limits: limits, registry: registry)
        }
    }
}
