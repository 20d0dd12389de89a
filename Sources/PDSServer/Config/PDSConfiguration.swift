import Configuration
import Foundation
import HTTPGuard
import Identity
import Sequencer

/// The server's configuration, read from the reference PDS's `PDS_*` environment variables.
///
/// Keys are read under the `pds` scope, so `pds.dataDirectory` is `PDS_DATA_DIRECTORY`.
package struct PDSConfiguration: Sendable {
    /// Service identity and network settings.
    package var service: Service
    /// Where data lives on disk.
    package var storage: Storage
    /// Invite-code policy.
    package var invites: Invites
    /// Identity settings (handle domains).
    package var identity: Identity
    /// Secrets; missing ones are generated in dev mode (see ``PDSConfiguration/resolvingSecrets()``).
    package var secrets: Secrets
    /// Blob storage (see ``PDSConfiguration/resolvingBlobstore()``).
    package var blobs: Blobs
    /// HTTP connection limits (see ``PDSConfiguration/readHTTP(reader:problems:)``).
    package var http: HTTP
    /// Rate limits (`PDS_RATE_LIMIT*`, `PDS_TRUSTED_PROXIES`).
    package var rateLimits: RateLimits
    /// The AppView, mod and report services unserved methods are proxied to (`PDS_BSKY_APP_VIEW_*`,
    /// `PDS_MOD_SERVICE_*`, `PDS_REPORT_SERVICE_*`).
    package var downstream: Downstream
    /// How proxied requests are made (`PDS_PROXY_*`).
    package var proxy: Proxy
    /// `importRepo` (`PDS_ACCEPTING_REPO_IMPORTS`, `PDS_MAX_REPO_IMPORT_SIZE`).
    package var repoImport: RepoImport
    /// The account and moderation mailers (`PDS_EMAIL_*`, `PDS_MODERATION_EMAIL_*`).
    package var email: Email
    /// Prometheus metrics (`PDS_METRICS_*`, our extension).
    package var metrics: Metrics
    /// The OAuth authorization server (`PDS_OAUTH_*`, `PDS_DPOP_SECRET`).
    package var oauth: OAuth

    /// Service settings.
    package struct Service: Sendable {
        /// - `pds.port` → `PDS_PORT` (default 2583)
        package var port: Int
        /// - `pds.hostname` → `PDS_HOSTNAME` (default `localhost`)
        package var hostname: String
        /// The public URL: `http://localhost:<port>` for localhost, else `https://<hostname>`.
        package var publicURL: String
        /// - `pds.serviceDid` → `PDS_SERVICE_DID` (default `did:web:<hostname>`)
        package var did: String
        /// - `pds.serviceName` → `PDS_SERVICE_NAME` (default `<hostname> PDS`)
        package var name: String
        /// - `pds.version` → `PDS_VERSION`
        package var version: String
        /// - `pds.devMode` → `PDS_DEV_MODE` (default false)
        package var devMode: Bool
        /// - `pds.privacyPolicyUrl` → `PDS_PRIVACY_POLICY_URL`
        package var privacyPolicyURL: String?
        /// - `pds.termsOfServiceUrl` → `PDS_TERMS_OF_SERVICE_URL`
        package var termsOfServiceURL: String?
        /// - `pds.contactEmailAddress` → `PDS_CONTACT_EMAIL_ADDRESS`
        package var contactEmailAddress: String?
        /// - `pds.blobUploadLimit` → `PDS_BLOB_UPLOAD_LIMIT` (default 5 MiB)
        package var blobUploadLimit: Int
        /// - `pds.crawlers` → `PDS_CRAWLERS`: comma-separated relay base URLs (`http`/`https`, trailing `/`
        ///   dropped) asked to crawl this PDS after new events, at most once per 20 minutes (default none)
        package var crawlers: [String]
    }

    /// Storage settings.
    package struct Storage: Sendable {
        /// - `pds.dataDirectory` → `PDS_DATA_DIRECTORY` (default: the working directory; `./data` in dev mode)
        package var dataDirectory: String
        /// - `pds.accountDbLocation` → `PDS_ACCOUNT_DB_LOCATION` (default `<data>/account.sqlite`)
        package var accountDBLocation: String
        /// - `pds.actorStoreDirectory` → `PDS_ACTOR_STORE_DIRECTORY` (default `<data>/actors`)
        package var actorStoreDirectory: String
        /// - `pds.didCacheDbLocation` → `PDS_DID_CACHE_DB_LOCATION` (default `<data>/did_cache.sqlite`)
        package var didCacheDBLocation: String
        /// - `pds.sequencerDbLocation` → `PDS_SEQUENCER_DB_LOCATION` (default `<data>/sequencer.sqlite`)
        package var sequencerDBLocation: String
        /// - `pds.repoBackfillLimitMs` → `PDS_REPO_BACKFILL_LIMIT_MS` (default one day): how far back a firehose
        ///   cursor may reach
        package var repoBackfillLimitMs: Int
        /// - `pds.maxSubscriptionBuffer` → `PDS_MAX_SUBSCRIPTION_BUFFER` (default 500): the most live events held for
        ///   one firehose subscriber before it is disconnected with `ConsumerTooSlow`
        package var maxSubscriptionBuffer: Int
        /// - `pds.maxConcurrentBackfills` → `PDS_MAX_CONCURRENT_BACKFILLS` (default 4; not in the reference PDS): how
        ///   many firehose subscribers read the event history at once; the others wait in arrival order
        package var maxConcurrentBackfills: Int
        /// - `pds.actorStoreCacheSize` → `PDS_ACTOR_STORE_CACHE_SIZE` (default: sized to the file-descriptor limit;
        ///   the reference parses it but never uses it, here it bounds the open actor handles)
        package var actorStoreCacheSize: Int?
        /// - `pds.sqliteDisableWalAutoCheckpoint` → `PDS_SQLITE_DISABLE_WAL_AUTO_CHECKPOINT` (default false; always
        ///   true when `PDS_BACKUP_TARGET` is set: the continuous backup checkpoints after shipping the WAL frames)
        package var sqliteDisableWALAutoCheckpoint: Bool
    }

    /// Invite settings.
    package struct Invites: Sendable {
        /// - `pds.inviteRequired` → `PDS_INVITE_REQUIRED` (default true unless `false`/`0`)
        package var required: Bool
        /// - `pds.inviteInterval` → `PDS_INVITE_INTERVAL` in milliseconds (default: no user codes are generated)
        package var interval: Int?
        /// - `pds.inviteEpoch` → `PDS_INVITE_EPOCH` in milliseconds since 1970 (default 0)
        package var epoch: Int
    }

    /// Identity settings.
    package struct Identity: Sendable {
        /// - `pds.serviceHandleDomains` → `PDS_SERVICE_HANDLE_DOMAINS` (default `.test` on localhost, else `.<hostname>`)
        package var serviceHandleDomains: [String]
        /// - `pds.didPlcUrl` → `PDS_DID_PLC_URL` (default `https://plc.directory`; in dev mode, when unset, the
        ///   embedded directory runs in-process and is served at `<publicURL>/plc`, and this is `nil`)
        package var plcURL: String?
        /// - `pds.recoveryDidKey` → `PDS_RECOVERY_DID_KEY`: prepended to every genesis op's rotation keys
        package var recoveryDIDKey: String?
        /// - `pds.didCacheStaleTtl` → `PDS_DID_CACHE_STALE_TTL` in milliseconds (default 1 hour)
        package var didCacheStaleTTL: Int
        /// - `pds.didCacheMaxTtl` → `PDS_DID_CACHE_MAX_TTL` in milliseconds (default 1 day)
        package var didCacheMaxTTL: Int
        /// - `pds.idResolverTimeout` → `PDS_ID_RESOLVER_TIMEOUT` in milliseconds (default 3000)
        package var resolverTimeout: Int
        /// - `pds.disableSsrfProtection` → `PDS_DISABLE_SSRF_PROTECTION` (default: `PDS_DEV_MODE`)
        package var disableSSRFProtection: Bool
        /// - `pds.enableDidDocWithSession` → `PDS_ENABLE_DID_DOC_WITH_SESSION` (default false)
        package var enableDIDDocWithSession: Bool
        /// - `pds.devHostOverrides` → `PDS_DEV_HOST_OVERRIDES` (our extension, dev mode only): `host=ip:port,…`,
        ///   hosts the identity fetches (handles' and did:web's HTTPS) reach at a local address
        package var devHostOverrides: [String: HTTPFetcher.HostOverride] = [:]
        /// - `pds.devExtraCaFile` → `PDS_DEV_EXTRA_CA_FILE` (our extension, dev mode only): PEM certificates the
        ///   identity fetches trust besides the system's
        package var devExtraCAFile: String?
    }

    /// Secrets. Outside dev mode all three are required (``PDSConfiguration/resolvingSecrets()`` names the missing
    /// ones); in dev mode missing ones are generated once and kept in `<data>/dev-secrets.json`.
    package struct Secrets: Sendable {
        /// - `pds.jwtSecret` → `PDS_JWT_SECRET`
        package var jwtSecret: String?
        /// - `pds.adminPassword` → `PDS_ADMIN_PASSWORD`
        package var adminPassword: String?
        /// - `pds.plcRotationKeyK256.privateKeyHex` → `PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX`
        package var plcRotationKeyK256PrivateKeyHex: String?
    }

    /// Reads the configuration.
    /// - Parameters:
    ///   - reader: a reader scoped to `pds` (environment variables `PDS_*`).
    ///   - environment: variables read by their own names: the S3 blobstore's `AWS_*` fallbacks.
    /// - Throws: `PDSConfigurationError` naming every invalid setting.
    package init(reader: ConfigReader, environment: [String: String] = [:]) throws {
        var problems: [String] = []
        let devMode = Self.bool(reader.string(forKey: "devMode")) ?? false

        let port: Int
        if let raw = reader.string(forKey: "port") {
            if let value = Int(raw), (0...65535).contains(value) {
                port = value
            } else {
                problems.append("PDS_PORT must be a port number, got '\(raw)'")
                port = 2583
            }
        } else {
            port = 2583
        }
        let hostname = reader.string(forKey: "hostname") ?? "localhost"
        let publicURL = hostname == "localhost" ? "http://localhost:\(port)" : "https://\(hostname)"
        let did = reader.string(forKey: "serviceDid") ?? "did:web:\(hostname)"
        if !did.hasPrefix("did:") { problems.append("PDS_SERVICE_DID must be a DID, got '\(did)'") }

        var blobUploadLimit = 5 * 1024 * 1024
        if let raw = reader.string(forKey: "blobUploadLimit") {
            if let value = Int(raw), value > 0 {
                blobUploadLimit = value
            } else {
                problems.append("PDS_BLOB_UPLOAD_LIMIT must be a positive integer, got '\(raw)'")
            }
        }

        let crawlers = Self.list(reader.string(forKey: "crawlers")).map {
            $0.hasSuffix("/") ? String($0.dropLast()) : $0
        }
        for crawler in crawlers where !Self.isHTTPURL(crawler) {
            problems.append("PDS_CRAWLERS entries must be http(s) URLs, got '\(crawler)'")
        }

        self.service = Service(
            port: port,
            hostname: hostname,
            publicURL: publicURL,
            did: did,
            name: reader.string(forKey: "serviceName") ?? "\(hostname) PDS",
            version: reader.string(forKey: "version") ?? pdsVersion,
            devMode: devMode,
            privacyPolicyURL: reader.string(forKey: "privacyPolicyUrl"),
            termsOfServiceURL: reader.string(forKey: "termsOfServiceUrl"),
            contactEmailAddress: reader.string(forKey: "contactEmailAddress"),
            blobUploadLimit: blobUploadLimit,
            crawlers: crawlers
        )

        func integer(_ key: String, _ env: String, minimum: Int = 0) -> Int? {
            guard let raw = reader.string(forKey: .init(key)) else { return nil }
            guard let value = Int(raw), value >= minimum else {
                problems.append("\(env) must be an integer ≥ \(minimum), got '\(raw)'")
                return nil
            }
            return value
        }

        let dataDirectory =
            reader.string(forKey: "dataDirectory") ?? (devMode ? "./data" : FileManager.default.currentDirectoryPath)
        func inData(_ name: String) -> String { URL(fileURLWithPath: dataDirectory).appendingPathComponent(name).path }
        self.storage = Storage(
            dataDirectory: dataDirectory,
            accountDBLocation: reader.string(forKey: "accountDbLocation") ?? inData("account.sqlite"),
            actorStoreDirectory: reader.string(forKey: "actorStoreDirectory") ?? inData("actors"),
            didCacheDBLocation: reader.string(forKey: "didCacheDbLocation") ?? inData("did_cache.sqlite"),
            sequencerDBLocation: reader.string(forKey: "sequencerDbLocation") ?? inData("sequencer.sqlite"),
            repoBackfillLimitMs: integer("repoBackfillLimitMs", "PDS_REPO_BACKFILL_LIMIT_MS", minimum: 1) ?? 86_400_000,
            maxSubscriptionBuffer: integer("maxSubscriptionBuffer", "PDS_MAX_SUBSCRIPTION_BUFFER", minimum: 1) ?? 500,
            maxConcurrentBackfills: integer("maxConcurrentBackfills", "PDS_MAX_CONCURRENT_BACKFILLS", minimum: 1)
                ?? Sequencer.Configuration.defaultMaxConcurrentBackfills,
            actorStoreCacheSize: integer("actorStoreCacheSize", "PDS_ACTOR_STORE_CACHE_SIZE", minimum: 1),
            sqliteDisableWALAutoCheckpoint: Self.bool(reader.string(forKey: "sqliteDisableWalAutoCheckpoint")) ?? false
                || !(reader.string(forKey: "backupTarget") ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        )

        self.invites = Invites(
            required: Self.bool(reader.string(forKey: "inviteRequired")) ?? true,
            interval: integer("inviteInterval", "PDS_INVITE_INTERVAL", minimum: 1),
            epoch: integer("inviteEpoch", "PDS_INVITE_EPOCH") ?? 0
        )

        let domains: [String]
        if let raw = reader.string(forKey: "serviceHandleDomains") {
            domains = Self.list(raw)
        } else {
            domains = hostname == "localhost" ? [".test"] : [".\(hostname)"]
        }
        for domain in domains where !domain.hasPrefix(".") {
            problems.append("PDS_SERVICE_HANDLE_DOMAINS entries must start with '.', got '\(domain)'")
        }
        let plcURL = reader.string(forKey: "didPlcUrl") ?? (devMode ? nil : "https://plc.directory")
        let recoveryDIDKey = reader.string(forKey: "recoveryDidKey")
        if let key = recoveryDIDKey, !key.hasPrefix("did:key:") {
            problems.append("PDS_RECOVERY_DID_KEY must be a did:key, got '\(key)'")
        }
        self.identity = Identity(
            serviceHandleDomains: domains,
            plcURL: plcURL,
            recoveryDIDKey: recoveryDIDKey,
            didCacheStaleTTL: integer("didCacheStaleTtl", "PDS_DID_CACHE_STALE_TTL", minimum: 1) ?? 3_600_000,
            didCacheMaxTTL: integer("didCacheMaxTtl", "PDS_DID_CACHE_MAX_TTL", minimum: 1) ?? 86_400_000,
            resolverTimeout: integer("idResolverTimeout", "PDS_ID_RESOLVER_TIMEOUT", minimum: 1) ?? 3000,
            disableSSRFProtection: Self.bool(reader.string(forKey: "disableSsrfProtection")) ?? devMode,
            enableDIDDocWithSession: Self.bool(reader.string(forKey: "enableDidDocWithSession")) ?? false
        )
        if let overrides = reader.string(forKey: "devHostOverrides") {
            if !devMode { problems.append("PDS_DEV_HOST_OVERRIDES is only allowed with PDS_DEV_MODE=true") }
            if let parsed = HTTPFetcher.HostOverride.parseList(overrides) {
                self.identity.devHostOverrides = parsed
            } else {
                problems.append("PDS_DEV_HOST_OVERRIDES must be host=ip:port entries separated by commas")
            }
        }
        if let file = reader.string(forKey: "devExtraCaFile") {
            if !devMode { problems.append("PDS_DEV_EXTRA_CA_FILE is only allowed with PDS_DEV_MODE=true") }
            self.identity.devExtraCAFile = file
        }

        self.blobs = Self.readBlobs(
            reader: reader, environment: environment, devMode: devMode, dataDirectory: dataDirectory,
            uploadLimit: blobUploadLimit, problems: &problems)

        self.http = Self.readHTTP(reader: reader, problems: &problems)
        self.rateLimits = Self.readRateLimits(reader: reader, devMode: devMode, problems: &problems)
        self.downstream = Self.readDownstream(reader: reader, problems: &problems)
        self.repoImport = Self.readRepoImport(reader: reader, uploadLimit: blobUploadLimit, problems: &problems)
        self.metrics = Self.readMetrics(reader: reader, mainPort: port, problems: &problems)
        self.oauth = Self.readOAuth(reader: reader, problems: &problems)
        self.proxy = Self.readProxy(
            reader: reader, disableSSRFProtection: identity.disableSSRFProtection, problems: &problems)

        self.email = Self.readEmail(reader: reader, problems: &problems)

        self.secrets = Secrets(
            jwtSecret: reader.string(forKey: "jwtSecret", isSecret: true),
            adminPassword: reader.string(forKey: "adminPassword", isSecret: true),
            plcRotationKeyK256PrivateKeyHex: reader.string(forKey: "plcRotationKeyK256.privateKeyHex", isSecret: true)
        )

        if !problems.isEmpty { throw PDSConfigurationError(problems: problems) }
    }

    /// Parses a comma-separated list as the reference's `envList`: entries trimmed, empty ones dropped.
    static func list(_ raw: String?) -> [String] {
        (raw ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Whether `raw` is an absolute `http` or `https` URL with a host.
    static func isHTTPURL(_ raw: String) -> Bool {
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased(), let host = url.host else {
            return false
        }
        return (scheme == "http" || scheme == "https") && !host.isEmpty
    }

    /// Parses a boolean as the reference does: only `true`/`1` and `false`/`0` are recognised.
    static func bool(_ raw: String?) -> Bool? {
        switch raw {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}

/// A configuration that cannot be used, with every problem found.
package struct PDSConfigurationError: Error, CustomStringConvertible, Sendable {
    /// One line per invalid or missing setting.
    package var problems: [String]

    package var description: String {
        "Invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
