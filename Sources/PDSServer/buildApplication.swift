import HTTPGuard
import Hummingbird
import HummingbirdWebSocket
import Identity
import Logging
import PLCServer

/// Builds the router with every route this server serves.
/// - Parameters:
///   - services: the server's services.
package func buildRouter(services: PDSServices) -> Router<PDSRequestContext> {
    let router = Router(context: PDSRequestContext.self)
    // First: every later middleware's and handler's log lines carry the request id, and every response its header.
    router.add(middleware: RequestLogMiddleware())
    let metrics = services.configuration.metrics
    if services.metrics.isEnabled {
        router.add(middleware: RequestMetricsMiddleware(metrics: services.metrics))
        if metrics.port == nil { services.metricsEndpoint.register(on: router) }
    }
    if let limits = services.rateLimits { router.add(middleware: RateLimitMiddleware(limits: limits)) }
    router.add(middleware: DPoPNonceMiddleware(nonces: services.dpop.nonces))
    router.add(middleware: XRPCErrorMiddleware())
    OAuthServer.register(on: router, services: services)
    BasicRoutes(configuration: services.configuration, serviceDB: services.serviceDB).register(on: router)
    let identity = services.configuration.identity
    WellKnown(serviceHandleDomains: identity.serviceHandleDomains, serviceDB: services.serviceDB).register(on: router)
    TLSCheck(
        hostname: services.configuration.service.hostname, serviceHandleDomains: identity.serviceHandleDomains,
        serviceDB: services.serviceDB
    ).register(on: router)
    // The served XRPC methods: their lexicon's parameters and body rules are checked before the handler runs.
    let methods = router.group().add(middleware: XRPCLexiconMiddleware())
    let provisioner = AccountProvisioner(
        actorStore: services.actorStore, serviceDB: services.serviceDB, blobstore: services.blobstore,
        plcClient: services.plcClient, plcRotationKey: services.plcRotationKey,
        didDocuments: services.didDocuments, publicURL: services.configuration.service.publicURL,
        recoveryDIDKey: identity.recoveryDIDKey)
    let emailFlows = AccountEmailFlows(
        serviceDB: services.serviceDB, mailer: services.mailer, outbox: services.mailOutbox, now: services.now)
    let deleter = AccountDeleter(
        serviceDB: services.serviceDB, passwords: services.passwordVerifier, sequencer: services.sequencer,
        destroyActor: { try await provisioner.destroyActor($0) }, now: services.now)
    ComAtprotoServer(
        service: services.configuration.service, identity: identity, invites: services.configuration.invites,
        auth: services.authVerifier, tokens: services.tokens, serviceDB: services.serviceDB,
        passwords: services.passwordVerifier,
        actorStore: services.actorStore, sequencer: services.sequencer, didDocuments: services.didDocuments,
        provisioner: provisioner, emailFlows: emailFlows, deleter: deleter
    ).register(on: methods)
    let identityUpdater = IdentityUpdater(
        serviceDB: services.serviceDB, actorStore: services.actorStore, sequencer: services.sequencer,
        plcClient: services.plcClient, plcRotationKey: services.plcRotationKey,
        didDocuments: services.didDocuments, handleResolver: services.idResolver.handle, identity: identity,
        publicURL: services.configuration.service.publicURL)
    ComAtprotoIdentity(
        serviceHandleDomains: identity.serviceHandleDomains, serviceDB: services.serviceDB,
        handleResolver: services.idResolver.handle, auth: services.authVerifier, updater: identityUpdater,
        emailFlows: emailFlows
    ).register(on: methods)
    ComAtprotoTemp(auth: services.authVerifier).register(on: methods)
    ComAtprotoRepo(
        writer: services.repoWriter, auth: services.authVerifier, serviceDB: services.serviceDB,
        actorStore: services.actorStore, blobs: { [services] in services.blobs(of: $0) },
        blobUploadLimit: services.configuration.service.blobUploadLimit, now: services.now,
        didDocument: { [services] in try await services.didDocument($0) },
        importer: RepoImporter(
            actorStore: services.actorStore, serviceDB: services.serviceDB, didDocuments: services.didDocuments),
        repoImport: services.configuration.repoImport, blobBytesUploaded: services.metrics.blobBytesUploaded
    ).register(on: methods)
    comAtprotoSync(services).register(on: methods)
    ComAtprotoAdmin(
        auth: services.authVerifier, serviceDB: services.serviceDB, actorStore: services.actorStore,
        sequencer: services.sequencer, blobs: { [services] in services.blobs(of: $0) }, updater: identityUpdater,
        now: services.now, moderationMailer: services.moderationMailer, deleter: deleter
    ).register(on: methods)
    ComAtprotoModeration(pipethrough: services.pipethrough).register(on: methods)
    DevSwiftpdsBackup(auth: services.authVerifier, restorer: services.liveAccountRestore).register(on: methods)
    let readAfterWrite = ReadAfterWrite(
        pipethrough: services.pipethrough, actorStore: services.actorStore, serviceDB: services.serviceDB,
        images: ImageURLBuilder(
            cdnURLPattern: services.configuration.downstream.appViewCDNURLPattern,
            publicURL: services.configuration.service.publicURL),
        now: services.now)
    AppBskyActor(auth: services.authVerifier, actorStore: services.actorStore, readAfterWrite: readAfterWrite)
        .register(on: methods)
    AppBskyFeed(
        auth: services.authVerifier, readAfterWrite: readAfterWrite, feeds: FeedProxy(pipethrough: services.pipethrough)
    ).register(on: methods)
    AppBskyNotification(auth: services.authVerifier, push: PushForwarder(pipethrough: services.pipethrough))
        .register(on: methods)
    XRPCCatchall.register(on: router, pipethrough: services.pipethrough)
    if let plc = services.embeddedPLC {
        plc.addRoutes(to: router.group(RouterPath(PDSServices.embeddedPLCPath)))
    }
    return router
}

/// Builds the router consulted on WebSocket upgrade requests (only `subscribeRepos`).
/// - Parameters:
///   - services: the server's services.
package func buildWebSocketRouter(services: PDSServices) -> Router<WebSocketChannelRequestContext> {
    let router = Router(context: WebSocketChannelRequestContext.self)
    comAtprotoSync(services).register(onWebSocket: router)
    return router
}

/// The `com.atproto.sync.*` namespace, on both routers.
/// - Parameters:
///   - services: the server's services.
private func comAtprotoSync(_ services: PDSServices) -> ComAtprotoSync {
    ComAtprotoSync(
        serviceDB: services.serviceDB, auth: services.authVerifier, actorStore: services.actorStore,
        blobstore: services.blobstore, sequencer: services.sequencer,
        maxSubscriptionBuffer: services.configuration.storage.maxSubscriptionBuffer)
}

/// Builds the HTTP application, with the services' background work in its service group.
///
/// First, before anything can accept a request, the start-up reconcile announces every durable commit whose firehose
/// event was lost (DESIGN §4; ``RepoReconciler/reconcileAll(concurrency:pageSize:)``), and the crawlers are told when
/// it sequenced anything.
/// - Parameters:
///   - services: the server's services.
///   - logger: the root logger.
/// - Throws: what the start-up reconcile cannot get past (listing the accounts).
package func buildApplication(services: PDSServices, logger: Logger) async throws -> some ApplicationProtocol {
    let summary = try await services.reconciler.reconcileAll()
    if summary.synced + summary.resigned + summary.announced > 0 { services.crawlers.noteEventsBeforeStart() }
    var app = Application(
        router: buildRouter(services: services),
        server: .guardedHTTP1WebSocketUpgrade(
            webSocketRouter: buildWebSocketRouter(services: services), limits: services.configuration.http.limits,
            registry: services.connections),
        configuration: .init(
            address: .hostname("0.0.0.0", port: services.configuration.service.port),
            serverName: "swift-pds"
        ),
        logger: logger
    )
    app.addServices(services.backgroundServices)
    if services.metrics.isEnabled, let port = services.configuration.metrics.port {
        app.addServices(services.metricsEndpoint.application(port: port, logger: logger))
        logger.info("Serving metrics", metadata: ["metrics.address": "127.0.0.1:\(port)"])
    }
    return app
}
