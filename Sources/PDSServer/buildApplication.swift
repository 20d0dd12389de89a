import Hummingbird
import Logging

/// Builds the router with every route this server serves.
/// - Parameters:
///   - configuration: the server configuration.
package func buildRouter(configuration: PDSConfiguration) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: XRPCErrorMiddleware())
    BasicRoutes(configuration: configuration).register(on: router)
    ComAtprotoServer(configuration: configuration).register(on: router)
    XRPCCatchall.register(on: router)
    return router
}

/// Builds the HTTP application.
/// - Parameters:
///   - configuration: the server configuration.
///   - logger: the root logger.
package func buildApplication(configuration: PDSConfiguration, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildRouter(configuration: configuration),
        configuration: .init(
            address: .hostname("0.0.0.0", port: configuration.service.port),
            serverName: "swift-pds"
        ),
        logger: logger
    )
}
