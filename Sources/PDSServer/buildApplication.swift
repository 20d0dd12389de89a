import Hummingbird
import HummingbirdWebSocket
import Logging
import PLCServer

/// Builds the router with every route this server serves.
/// - Parameters:
///   - services: the server's services.
package func buildRouter(services: PDSServices) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: XRPCErrorMiddleware())
    BasicRoutes(configuration: services.configuration, serviceDB: services.serviceDB).register(on: router)
    WellKnown(services: services).register(on: router)
    ComAtprotoServer(services: services).register(on: router)
    ComAtprotoIdentity(services: services).register(on: router)
    ComAtprotoRepo(services: services).register(on: router)
    ComAtprotoSync(services: services).register(on: router)
    ComAtprotoAdmin(services: services).register(on: router)
    XRPCCatchall.register(on: router)
    if let plc = services.embeddedPLC {
        plc.addRoutes(to: router.group(RouterPath(PDSServices.embeddedPLCPath)))
    }
    return router
}

/// Builds the router consulted on WebSocket upgrade requests (only `subscribeRepos`).
/// - Parameters:
///   - services: the server's services.
package func buildWebSocketRouter(services: PDSServices) -> Router<BasicWebSocketRequestContext> {
    let router = Router(context: BasicWebSocketRequestContext.self)
    ComAtprotoSync(services: services).register(onWebSocket: router)
    return router
}

/// Builds the HTTP application, with the services' background work in its service group.
/// - Parameters:
///   - services: the server's services.
///   - logger: the root logger.
package func buildApplication(services: PDSServices, logger: Logger) -> some ApplicationProtocol {
    var app = Application(
        router: buildRouter(services: services),
        server: .http1WebSocketUpgrade(webSocketRouter: buildWebSocketRouter(services: services)),
        configuration: .init(
            address: .hostname("0.0.0.0", port: services.configuration.service.port),
            serverName: "swift-pds"
        ),
        logger: logger
    )
    app.addServices(services.backgroundServices)
    return app
}
