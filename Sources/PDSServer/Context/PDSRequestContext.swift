import Hummingbird
import NIOCore

/// The request context of the HTTP router: Hummingbird's basics, the connection's peer address (for the client IP the
/// rate limits count by) and the request's rate-limit scope.
package struct PDSRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The connection's peer (`nil` when there is no socket, as in `.router` tests).
    package let remoteAddress: SocketAddress?
    /// The limits the handler counts itself (by DID or login identifier), set by the ``RateLimitMiddleware`` for the
    /// methods that have such limits; `nil` when rate limits are off, bypassed, or the method has none.
    package var rateLimit: RateLimitScope?

    /// A context for a request on `source`'s connection.
    /// - Parameters:
    ///   - source: the connection and the logger.
    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        rateLimit = nil
    }
}
