import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// A Hummingbird child channel (HTTP/1 with the WebSocket upgrade, or plain HTTP/1) with the connection guard in front:
/// the ``ConnectionGuardHandler`` first in the pipeline, the ``HTTPExchangeObserver`` just above the HTTP decoder.
package struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    package typealias Value = Inner.Value

    /// The channel being guarded.
    package let inner: Inner
    /// The limits.
    package let limits: ConnectionLimits
    /// The server's connection registry.
    package let registry: ConnectionRegistry

    /// A guarded channel.
    /// - Parameters:
    ///   - inner: the channel being guarded.
    ///   - limits: the limits.
    ///   - registry: the server's connection registry.
    package init(inner: Inner, limits: ConnectionLimits, registry: ConnectionRegistry) {
        self.inner = inner
        self.limits = limits
        self.registry = registry
    }

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let connection = ConnectionGuardHandler(limits: limits, registry: registry, logger: logger)
        do {
            try channel.pipeline.syncOperations.addHandler(connection, position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(HTTPExchangeObserver(connection: connection), position: .after(decoder))
            return value
        }.nonisolated()
    }

    package func handle(value: Value, logger: Logger) async {
        // What the framework logs about a connection here (a client that sent garbage or went away) is the
        // client's doing: it is logged at debug, never as an error.
        await inner.handle(value: value, logger: logger.demoted())
    }
}

extension Logger {
    /// This logger, with warnings and errors logged at debug.
    func demoted() -> Logger {
        var logger = self
        logger.handler = DemotingLogHandler(base: handler)
        return logger
    }
}

/// A log handler passing messages to another one, warnings and worse lowered to debug.
struct DemotingLogHandler: LogHandler {
    var base: any LogHandler

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= .warning else { return base.log(event: event) }
        guard logLevel <= .debug else { return }
        var event = event
        event.level = .debug
        base.log(event: event)
    }
}
