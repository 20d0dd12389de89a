import ATCore
import Configuration

extension PDSConfiguration {
    /// A downstream service: where it is and the DID its service JWTs are addressed to.
    package struct ServiceEndpoint: Sendable, Equatable {
        /// Its base URL (`http(s)://host[:port]`).
        package var url: String
        /// Its DID (the `aud` of the service JWTs sent to it).
        package var did: String

        /// Creates an endpoint.
        package init(url: String, did: String) {
            self.url = url
            self.did = did
        }
    }

    /// The services unserved XRPC methods are proxied to (reference §a.8; see ``Pipethrough``).
    package struct Downstream: Sendable {
        /// - `pds.bskyAppView.url` → `PDS_BSKY_APP_VIEW_URL`, `pds.bskyAppView.did` → `PDS_BSKY_APP_VIEW_DID`
        ///   (required with the URL): the default target of every proxied method (service id `bsky_appview`)
        package var appView: ServiceEndpoint?
        /// - `pds.modService.url` → `PDS_MOD_SERVICE_URL`, `pds.modService.did` → `PDS_MOD_SERVICE_DID`: the target
        ///   of the `tools.ozone.*` methods the reference routes there (service id `atproto_labeler`)
        package var modService: ServiceEndpoint?
        /// - `pds.reportService.url` → `PDS_REPORT_SERVICE_URL`, `pds.reportService.did` → `PDS_REPORT_SERVICE_DID`
        ///   (default: the mod service): the target of `com.atproto.moderation.createReport`
        package var reportService: ServiceEndpoint?
        /// - `pds.bskyAppView.cdnUrlPattern` → `PDS_BSKY_APP_VIEW_CDN_URL_PATTERN`: the `util.format` pattern (given
        ///   the preset, the DID and the CID) of the image URLs in views made locally by read-after-write; without it
        ///   they point at this server's `com.atproto.sync.getBlob`
        package var appViewCDNURLPattern: String?
    }

    /// How proxied requests are made (`PDS_PROXY_*`).
    package struct Proxy: Sendable {
        /// - `pds.proxyAllowHttp2` → `PDS_PROXY_ALLOW_HTTP2` (default false): negotiate HTTP/2 with https upstreams
        package var allowHTTP2: Bool
        /// - `pds.proxyHeadersTimeout` → `PDS_PROXY_HEADERS_TIMEOUT` in milliseconds (default 10000): from the start
        ///   of the upstream request (connection, request body included) to its response head
        package var headersTimeoutMs: Int
        /// - `pds.proxyBodyTimeout` → `PDS_PROXY_BODY_TIMEOUT` in milliseconds (default 30000): the longest pause
        ///   between two reads from the upstream
        package var bodyTimeoutMs: Int
        /// - `pds.proxyMaxResponseSize` → `PDS_PROXY_MAX_RESPONSE_SIZE` in bytes (default 10485760; `-1` for no
        ///   limit): a larger upstream response fails (before its body when its `content-length` says so)
        package var maxResponseSize: Int?
        /// - `pds.proxyMaxRetries` → `PDS_PROXY_MAX_RETRIES` (default 0): how many times a GET or HEAD is retried
        ///   after a socket error before any response arrived
        package var maxRetries: Int
        /// Whether upstream connections skip the SSRF guard (`PDS_DISABLE_SSRF_PROTECTION`, default `PDS_DEV_MODE`).
        package var disableSSRFProtection: Bool
    }

    /// Reads the downstream services; invalid or incomplete ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - problems: where problems are reported.
    static func readDownstream(reader: ConfigReader, problems: inout [String]) -> Downstream {
        func endpoint(_ key: String, _ variable: String) -> ServiceEndpoint? {
            guard let url = reader.string(forKey: .init("\(key).url")), !url.isEmpty else { return nil }
            var ok = true
            if !isHTTPURL(url) {
                problems.append("\(variable)_URL must be an http(s) URL, got '\(url)'")
                ok = false
            }
            guard let did = reader.string(forKey: .init("\(key).did")), !did.isEmpty else {
                problems.append("\(variable)_DID is required when \(variable)_URL is set")
                return nil
            }
            if (try? DID(did)) == nil {
                problems.append("\(variable)_DID must be a DID, got '\(did)'")
                ok = false
            }
            let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            return ok ? ServiceEndpoint(url: trimmed, did: did) : nil
        }
        let modService = endpoint("modService", "PDS_MOD_SERVICE")
        return Downstream(
            appView: endpoint("bskyAppView", "PDS_BSKY_APP_VIEW"),
            modService: modService,
            reportService: endpoint("reportService", "PDS_REPORT_SERVICE") ?? modService,
            appViewCDNURLPattern: reader.string(forKey: "bskyAppView.cdnUrlPattern").flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Reads the `PDS_PROXY_*` settings; invalid ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - disableSSRFProtection: `PDS_DISABLE_SSRF_PROTECTION`, already read.
    ///   - problems: where problems are reported.
    static func readProxy(reader: ConfigReader, disableSSRFProtection: Bool, problems: inout [String]) -> Proxy {
        func integer(_ key: String, _ variable: String, default value: Int, minimum: Int) -> Int {
            guard let raw = reader.string(forKey: .init(key)) else { return value }
            guard let parsed = Int(raw), parsed >= minimum else {
                problems.append("\(variable) must be an integer ≥ \(minimum), got '\(raw)'")
                return value
            }
            return parsed
        }
        var allowHTTP2 = false
        if let raw = reader.string(forKey: "proxyAllowHttp2") {
            if let value = bool(raw) {
                allowHTTP2 = value
            } else {
                problems.append("PDS_PROXY_ALLOW_HTTP2 must be true or false, got '\(raw)'")
            }
        }
        let maxResponseSize = integer(
            "proxyMaxResponseSize", "PDS_PROXY_MAX_RESPONSE_SIZE", default: 10 * 1024 * 1024, minimum: -1)
        return Proxy(
            allowHTTP2: allowHTTP2,
            headersTimeoutMs: integer("proxyHeadersTimeout", "PDS_PROXY_HEADERS_TIMEOUT", default: 10_000, minimum: 1),
            bodyTimeoutMs: integer("proxyBodyTimeout", "PDS_PROXY_BODY_TIMEOUT", default: 30_000, minimum: 1),
            maxResponseSize: maxResponseSize < 0 ? nil : maxResponseSize,
            maxRetries: integer("proxyMaxRetries", "PDS_PROXY_MAX_RETRIES", default: 0, minimum: 0),
            disableSSRFProtection: disableSSRFProtection)
    }
}
