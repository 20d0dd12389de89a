import Configuration
import HTTPGuard
import NIOCore
import SQLiteSupport

extension PDSConfiguration {
    /// HTTP server settings (our extension).
    package struct HTTP: Sendable {
        /// Timeouts, sizes and connection caps.
        package var limits = ConnectionLimits()
        /// - `pds.trustedProxies` → `PDS_TRUSTED_PROXIES`: the reverse proxies in front of the server, comma-separated
        ///   addresses, CIDR blocks or Express's names `loopback`, `linklocal`, `uniquelocal` (`none`: no proxy; default
        ///   `127.0.0.1,::1`). Connections from them are not held to the per-address cap, and their
        ///   `X-Forwarded-For` names the client IP the rate limits count by (``RateLimits/clientIP(peer:forwardedFor:)``).
        package var trustedProxies: [IPRange] = ["127.0.0.1", "::1"].compactMap { IPRange($0) }
    }

    /// Reads the HTTP connection limits (our extension; ``ConnectionLimits`` documents each):
    /// - `pds.httpIdleTimeoutMs` → `PDS_HTTP_IDLE_TIMEOUT_MS` (default 90000)
    /// - `pds.httpHeaderTimeoutMs` → `PDS_HTTP_HEADER_TIMEOUT_MS` (default 20000)
    /// - `pds.httpBodyTimeoutMs` → `PDS_HTTP_BODY_TIMEOUT_MS` (default 20000): the body-progress window
    /// - `pds.httpBodyMinBytesPerSecond` → `PDS_HTTP_BODY_MIN_BYTES_PER_SECOND` (default 1024)
    /// - `pds.httpWriteTimeoutMs` → `PDS_HTTP_WRITE_TIMEOUT_MS` (default 60000)
    /// - `pds.httpMaxUrlBytes` → `PDS_HTTP_MAX_URL_BYTES` (default 32768): the request line
    /// - `pds.httpMaxHeaderBytes` → `PDS_HTTP_MAX_HEADER_BYTES` (default 32768)
    /// - `pds.httpMaxHeaderCount` → `PDS_HTTP_MAX_HEADER_COUNT` (default 200)
    /// - `pds.httpMaxConnections` → `PDS_HTTP_MAX_CONNECTIONS` (default a quarter of the descriptor limit, 64…16384)
    /// - `pds.httpMaxConnectionsPerIp` → `PDS_HTTP_MAX_CONNECTIONS_PER_IP` (default 256; 0 for no limit)
    /// - Parameters:
    ///   - reader: the `pds`-scoped reader.
    ///   - problems: invalid settings are appended here.
    static func readHTTP(reader: ConfigReader, problems: inout [String]) -> HTTP {
        func integer(_ key: String, _ env: String, minimum: Int) -> Int? {
            guard let raw = reader.string(forKey: .init(key)) else { return nil }
            guard let value = Int(raw), value >= minimum else {
                problems.append("\(env) must be an integer ≥ \(minimum), got '\(raw)'")
                return nil
            }
            return value
        }
        func milliseconds(_ key: String, _ env: String) -> TimeAmount? {
            integer(key, env, minimum: 1).map { .milliseconds(Int64($0)) }
        }
        var limits = ConnectionLimits()
        limits.maxConnections = ConnectionLimits.defaultMaxConnections(
            fileDescriptorLimit: Int(clamping: FileDescriptorLimit.current))
        if let value = milliseconds("httpIdleTimeoutMs", "PDS_HTTP_IDLE_TIMEOUT_MS") { limits.idleTimeout = value }
        if let value = milliseconds("httpHeaderTimeoutMs", "PDS_HTTP_HEADER_TIMEOUT_MS") { limits.headerTimeout = value }
        if let value = milliseconds("httpBodyTimeoutMs", "PDS_HTTP_BODY_TIMEOUT_MS") { limits.bodyWindow = value }
        if let value = integer("httpBodyMinBytesPerSecond", "PDS_HTTP_BODY_MIN_BYTES_PER_SECOND", minimum: 0) {
            limits.bodyMinimumBytesPerSecond = value
        }
        if let value = milliseconds("httpWriteTimeoutMs", "PDS_HTTP_WRITE_TIMEOUT_MS") { limits.writeTimeout = value }
        if let value = integer("httpMaxUrlBytes", "PDS_HTTP_MAX_URL_BYTES", minimum: 256) {
            limits.maxRequestLineBytes = value
        }
        if let value = integer("httpMaxHeaderBytes", "PDS_HTTP_MAX_HEADER_BYTES", minimum: 1024) {
            limits.maxHeaderBytes = value
        }
        if let value = integer("httpMaxHeaderCount", "PDS_HTTP_MAX_HEADER_COUNT", minimum: 16) {
            limits.maxHeaderCount = value
        }
        if let value = integer("httpMaxConnections", "PDS_HTTP_MAX_CONNECTIONS", minimum: 1) {
            limits.maxConnections = value
        }
        if let value = integer("httpMaxConnectionsPerIp", "PDS_HTTP_MAX_CONNECTIONS_PER_IP", minimum: 0) {
            limits.maxConnectionsPerAddress = value
        }
        var http = HTTP(limits: limits)
        if let raw = reader.string(forKey: "trustedProxies") {
            http.trustedProxies = ipRanges(raw, "PDS_TRUSTED_PROXIES", problems: &problems)
        }
        return http
    }
}
