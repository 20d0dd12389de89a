import CoreMetrics
import ActorStore
import AsyncHTTPClient
import BlobStore
import ATCore
import ATCrypto
import Foundation
import HTTPGuard
import Hummingbird
import Identity
import Logging
import Mailer
import PLCServer
import Prometheus
import Sequencer
import ServiceDB
import ServiceLifecycle
import SQLiteSupport

/// The composition root: every long-lived dependency of the server, built once from the configuration.
///
/// Handlers receive the pieces they need from namespace types (`ComAtprotoServer`, …), not this whole object;
/// it exists to build and own them.
package final class PDSServices: Sendable {
    /// The configuration.
    package let configuration: PDSConfiguration
    /// `account.sqlite`.
    package let serviceDB: ServiceDB
    /// The per-actor stores.
    package let actorStore: ActorStore
    /// Access and refresh JWTs.
    package let tokens: SessionTokens
    /// Request authentication.
    package let authVerifier: AuthVerifier
    /// DID and handle resolution (with `did_cache.sqlite`).
    package let idResolver: IDResolver
    /// Where did:plc operations go: the embedded directory in-process, or `PDS_DID_PLC_URL` over HTTP.
    package let plcClient: any PLCClient
    /// The embedded PLC directory (dev mode without `PDS_DID_PLC_URL`), served at `/plc` on the PDS's own port.
    package let embeddedPLC: EmbeddedPLCDirectory?
    /// The PDS's PLC rotation key (`PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX`).
    package let plcRotationKey: Secp256k1Keypair
    /// Refreshes stale DID cache entries in the background.
    package let didCacheRefresher: DIDCacheRefresher
    /// `sequencer.sqlite`: the global event sequence behind the firehose.
    package let sequencer: Sequencer
    /// Emits the `#sync` a durable commit lost (start-up, before the next write, and in the background).
    package let reconciler: RepoReconciler
    /// The record write pipeline (createRecord, putRecord, deleteRecord, applyWrites).
    let repoWriter: RepoWriter
    /// Asks `PDS_CRAWLERS` to crawl this PDS after new events.
    package let crawlers: Crawlers
    /// The open HTTP connections, against `PDS_HTTP_MAX_CONNECTIONS` and `PDS_HTTP_MAX_CONNECTIONS_PER_IP`.
    package let connections: ConnectionRegistry
    /// Record keys for records created without one (one generator, so keys from this process strictly increase).
    package let tidGenerator = TIDGenerator()
    /// The blobstore of each actor (`PDS_BLOBSTORE_*`).
    package let blobstore: BlobStoreFactory
    /// Serializes the byte operations on each blob.
    package let blobLocks = BlobLocks()
    /// Deletes uploads no record claimed (`PDS_BLOB_TEMP_GC_*`).
    package let blobTempCollector: BlobTempCollector
    /// The wall clock (blob upload times, garbage collection, rate-limit windows); injected by tests.
    package let now: @Sendable () -> Date
    /// The rate limits' counters (`PDS_RATE_LIMITS_ENABLED`), `nil` when they are off.
    package let rateLimits: RateLimits?
    /// Login password checks, counted.
    package let passwordVerifier = PasswordVerifier()
    /// The proxy's HTTP clients, one per upstream origin (shut down when the service group stops).
    package let upstreamClients: UpstreamClients
    /// Proxies the XRPC methods this server does not serve (to the AppView, the mod and report services, or the
    /// `atproto-proxy` header's service).
    package let pipethrough: Pipethrough
    /// The account emails (`PDS_EMAIL_*`; written to the log without an SMTP URL).
    package let mailer: ServerMailer
    /// The moderators' emails (`PDS_MODERATION_EMAIL_*`; written to the log without an SMTP URL).
    package let moderationMailer: ModerationMailer
    /// Password-reset emails, sent in the background.
    package let mailOutbox: MailOutbox
    /// The OAuth authorization server's flows.
    package let oauthProvider: OAuthProvider
    /// DPoP proof checks and nonces, shared by the authorization server and the XRPC methods.
    package let dpop: DPoPVerifier
    /// The metrics (`PDS_METRICS_*`); ``PDSMetrics/disabled`` when they are off.
    package let metrics: PDSMetrics
    /// The HTTP client of the S3 blobstore, owned here and shut down when the service group stops.
    private let blobstoreHTTPClient: HTTPClient?

    /// Open actor-store handles the descriptor limit allows once the HTTP connections have their share: raises the
    /// soft limit to the hard limit first.
    /// - Parameters:
    ///   - configuration: the configuration (``PDSConfiguration/http``'s connection cap).
    ///   - sqlite: the SQLite settings (descriptors per open store).
    static func actorHandleBudget(_ configuration: PDSConfiguration, sqlite: SQLiteConfiguration) -> Int {
        let limit = Int(clamping: FileDescriptorLimit.raise())
        return ActorStore.Configuration.handleCacheSize(
            fileDescriptorLimit: max(0, limit - configuration.http.limits.maxConnections), sqlite: sqlite)
    }

    /// The path prefix the embedded PLC directory is served under.
    package static let embeddedPLCPath = "/plc"

    /// Opens the databases and builds the services.
    /// - Parameters:
    ///   - configuration: the configuration; in dev mode missing secrets are generated and persisted.
    ///   - logger: the root logger.
    ///   - now: the wall clock.
    ///   - sequencerBeforeWrite: runs on the sequencer's writer before each batch (tests hold or break it there).
    ///   - metrics: where metrics are recorded; by default a fresh registry when `PDS_METRICS_ENABLED`, else none.
    /// - Throws: `PDSConfigurationError` for missing secrets or blobstore outside dev mode, or storage errors.
    package init(
        configuration: PDSConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
        sequencerBeforeWrite: (@Sendable () throws -> Void)? = nil, metrics: PDSMetrics? = nil
    ) throws {
        self.configuration = configuration
        self.now = now
        let metrics =
            metrics ?? (configuration.metrics.enabled ? PDSMetrics(registry: PrometheusCollectorRegistry()) : .disabled)
        self.metrics = metrics
        rateLimits =
            configuration.rateLimits.enabled
            ? RateLimits(
                configuration: configuration.rateLimits, trustedProxies: configuration.http.trustedProxies, now: now)
            : nil
        let secrets = try configuration.resolvingSecrets()
        (mailer, moderationMailer) = try Self.makeMailers(configuration, logger: logger, now: now)
        mailOutbox = MailOutbox(mailer: mailer, logger: logger)
        let blobConfiguration = try configuration.resolvingBlobstore()
        let storage = configuration.storage
        try FileManager.default.createDirectory(
            atPath: storage.dataDirectory, withIntermediateDirectories: true)
        let sqlite = SQLiteConfiguration(disableWALAutoCheckpoint: storage.sqliteDisableWALAutoCheckpoint)

        serviceDB = try ServiceDB(url: URL(fileURLWithPath: storage.accountDBLocation), configuration: sqlite)
        actorStore = try ActorStore(
            configuration: .init(
                actorsDirectory: URL(fileURLWithPath: storage.actorStoreDirectory),
                handleCacheSize: storage.actorStoreCacheSize ?? Self.actorHandleBudget(configuration, sqlite: sqlite),
                sqlite: sqlite))
        var sequencerConfiguration = Sequencer.Configuration(
            databaseURL: URL(fileURLWithPath: storage.sequencerDBLocation),
            backfillLimit: .milliseconds(storage.repoBackfillLimitMs))
        sequencerConfiguration.beforeWrite = sequencerBeforeWrite
        sequencerConfiguration.sqlite.disableWALAutoCheckpoint = sqlite.disableWALAutoCheckpoint
        if metrics.isEnabled {
            let batchSize = metrics.sequencerBatchSize
            sequencerConfiguration.afterBatch = { batchSize.record($0) }
        }
        sequencerConfiguration.maxConcurrentBackfills = storage.maxConcurrentBackfills
        sequencer = try Sequencer(configuration: sequencerConfiguration, logger: logger)
        reconciler = RepoReconciler(actorStore: actorStore, sequencer: sequencer, serviceDB: serviceDB, logger: logger)
        let repoRootMirror = RepoRootMirror(serviceDB: serviceDB, logger: logger)
        let trustedProxies = configuration.http.trustedProxies
        connections = ConnectionRegistry(limits: configuration.http.limits) { address in
            IPAddress(address).map { trustedProxies.contains($0) } ?? false
        }
        crawlers = Crawlers(
            hostname: configuration.service.hostname, crawlers: configuration.service.crawlers, sequencer: sequencer,
            logger: logger, metrics: metrics)
        plcRotationKey = secrets.plcRotationKey
        tokens = SessionTokens(jwtSecret: secrets.jwtSecret, serviceDID: configuration.service.did)

        let plcURL: String
        if let configured = configuration.identity.plcURL {
            embeddedPLC = nil
            plcURL = configured
            plcClient = HTTPPLCClient(url: configured)
        } else {
            let directory = try EmbeddedPLCDirectory(
                databasePath: URL(fileURLWithPath: storage.dataDirectory).appendingPathComponent("plc.sqlite").path)
            embeddedPLC = directory
            plcClient = directory
            plcURL = configuration.service.publicURL + Self.embeddedPLCPath
        }

        let identity = configuration.identity
        var fetch = HTTPFetcher.Configuration(
            timeout: .milliseconds(identity.resolverTimeout), ssrfProtection: !identity.disableSSRFProtection)
        fetch.hostOverrides = identity.devHostOverrides
        fetch.extraTrustRootsFile = identity.devExtraCAFile
        didCacheRefresher = DIDCacheRefresher(logger: logger)
        let cache = try SQLiteDIDCache(
            path: storage.didCacheDBLocation,
            ttl: DIDCacheTTL(stale: .milliseconds(identity.didCacheStaleTTL), max: .milliseconds(identity.didCacheMaxTTL)),
            refresher: didCacheRefresher, logger: logger)
        idResolver = IDResolver(
            did: DIDResolver(configuration: .init(plcURL: plcURL, fetch: fetch), cache: cache),
            handle: HandleResolver(configuration: .init(timeout: .milliseconds(identity.resolverTimeout), fetch: fetch)))

        oauthProvider = OAuthProvider(
            issuer: configuration.service.publicURL, serviceDID: configuration.service.did,
            jwtSecret: secrets.jwtSecret, serviceDB: serviceDB, passwords: passwordVerifier,
            clients: OAuthClientStore(fetch: fetch, now: now), trustedClients: Set(configuration.oauth.trustedClients),
            permissionSets: OAuthPermissionSets(
                serviceDB: serviceDB,
                source: NetworkLexiconSource(
                    authority: LexiconAuthorityResolver(
                        timeout: .milliseconds(identity.resolverTimeout),
                        override: configuration.oauth.lexiconAuthorityDID),
                    dids: idResolver.did, fetch: fetch),
                now: now, logger: logger),
            now: now)
        dpop = DPoPVerifier(nonces: DPoPNonces(secret: configuration.oauth.dpopKey, now: now), replay: ReplayCache())
        var authVerifier = AuthVerifier(
            tokens: tokens, serviceDB: serviceDB, adminPassword: secrets.adminPassword,
            serviceDID: configuration.service.did, keyResolver: .init(plc: embeddedPLC, resolver: idResolver),
            modServiceDID: configuration.downstream.modService?.did)
        authVerifier.oauth = OAuthResource(
            provider: oauthProvider, dpop: dpop, publicURL: configuration.service.publicURL,
            appViewAudience: configuration.downstream.appView.map { "\($0.did)#bsky_appview" })
        self.authVerifier = authVerifier

        upstreamClients = UpstreamClients(settings: Pipethrough.clientSettings(configuration.proxy))
        let (keyResolver, actors) = (authVerifier.keyResolver, actorStore)
        pipethrough = Pipethrough(
            auth: authVerifier, downstream: configuration.downstream, settings: configuration.proxy,
            clients: upstreamClients, didDocument: { try await keyResolver.document($0) },
            signingKey: { try await actors.keypair($0) })

        // Last, so that nothing can fail after the client exists.
        (blobstore, blobstoreHTTPClient) = try Self.makeBlobstore(blobConfiguration)
        let (actorStore, blobstore, blobLocks) = (actorStore, blobstore, blobLocks)
        repoWriter = RepoWriter(
            actorStore: actorStore, sequencer: sequencer, reconciler: reconciler, serviceDB: serviceDB,
            auth: authVerifier, mirror: repoRootMirror, tidGenerator: tidGenerator,
            blobs: { ActorBlobs(did: $0, actorStore: actorStore, store: blobstore($0), locks: blobLocks) })
        blobTempCollector = BlobTempCollector(
            actorStore: actorStore, serviceDB: serviceDB, blobstore: blobstore, locks: blobLocks,
            gracePeriod: .milliseconds(configuration.blobs.tempGCGracePeriodMs),
            interval: .milliseconds(max(configuration.blobs.tempGCIntervalMs, 1)), now: now, logger: logger,
            metrics: metrics)
    }

    /// `GET /metrics`, over this server's state.
    var metricsEndpoint: MetricsEndpoint {
        MetricsEndpoint(
            metrics: metrics, sources: MetricsSources(actorStore: actorStore, sequencer: sequencer),
            token: configuration.metrics.token)
    }

    /// The account and moderation mailers: SMTP when their URL is set, else the log.
    /// - Throws: ``SMTPError/invalidURL(_:)``, or NIOSSL's error for an unreadable trust-roots file.
    static func makeMailers(_ configuration: PDSConfiguration, logger: Logger, now: @escaping @Sendable () -> Date)
        throws -> (ServerMailer, ModerationMailer)
    {
        let email = configuration.email
        func transport(_ url: String?) throws -> any MailTransport {
            guard let url else { return LogTransport(logger: logger) }
            var smtp = try SMTPConfiguration(url: url)
            smtp.clientName = configuration.service.hostname
            if let file = email.trustRootsFile { smtp.trustCertificates(inFile: file) }
            return SMTPTransport(client: try SMTPClient(configuration: smtp), now: now)
        }
        let fallbackFrom = "noreply@\(configuration.service.hostname)"
        let mailer = ServerMailer(
            transport: try transport(email.smtpURL), fromAddress: email.fromAddress ?? fallbackFrom,
            branding: .init(
                serviceName: configuration.service.name, showConfirmationLink: !email.disableConfirmationLink))
        let moderation = ModerationMailer(
            transport: try transport(email.moderationSMTPURL), fromAddress: email.moderationAddress ?? fallbackFrom)
        return (mailer, moderation)
    }

    /// The blobstore factory, and the HTTP client it uses (S3 only).
    private static func makeBlobstore(_ configuration: BlobStoreConfiguration) throws -> (
        BlobStoreFactory, HTTPClient?
    ) {
        guard case .s3 = configuration.backend else {
            return (try configuration.makeFactory(httpClient: .shared), nil)  // the disk store makes no requests
        }
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
        do {
            return (try configuration.makeFactory(httpClient: client), client)
        } catch {
            try? client.syncShutdown()
            throw error
        }
    }

    /// The long-running services to add to the application's service group. The HTTP clients' shutdowns come first:
    /// services stop in reverse order, so they stop after everything that may still use them.
    package var backgroundServices: [any Service] {
        var services: [any Service] = [upstreamClients]
        services += blobstoreHTTPClient.map { [HTTPClientShutdown(client: $0)] } ?? []
        services += [didCacheRefresher, sequencer, reconciler, mailOutbox]
        if !crawlers.crawlers.isEmpty { services.append(crawlers) }
        if configuration.blobs.tempGCIntervalMs > 0 { services.append(blobTempCollector) }
        return services
    }

    /// Where DID documents come from: the embedded directory in-process for did:plc, else the resolver.
    package var didDocuments: DIDDocumentSource { authVerifier.keyResolver }

    /// The DID document of `did`: from the embedded directory in-process when it holds did:plc identities, else
    /// through the resolver (and its cache).
    /// - Parameters:
    ///   - did: the DID.
    ///   - forceRefresh: bypass the DID cache.
    package func didDocument(_ did: DID, forceRefresh: Bool = false) async throws -> DIDDocument? {
        try await authVerifier.keyResolver.document(did, forceRefresh: forceRefresh)
    }
}

/// Finds DID documents for signature checks, preferring the in-process PLC directory.
package struct DIDDocumentSource: Sendable {
    let plc: EmbeddedPLCDirectory?
    let resolver: IDResolver?

    /// The document, or `nil` when the DID does not exist.
    package func document(_ did: DID, forceRefresh: Bool = false) async throws -> DIDDocument? {
        if did.isPLC, let plc {
            do {
                return try await plc.getDocument(did)
            } catch PLCError.notRegistered, PLCError.notAvailable {
                return nil
            }
        }
        return try await resolver?.did.resolve(did, forceRefresh: forceRefresh)
    }
}
