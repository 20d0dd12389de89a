import Configuration

extension PDSConfiguration {
    /// Prometheus metrics (our extension; the reference PDS has none).
    package struct Metrics: Sendable {
        /// - `pds.metricsEnabled` → `PDS_METRICS_ENABLED` (default false)
        package var enabled: Bool
        /// - `pds.metricsPort` → `PDS_METRICS_PORT`: serve `/metrics` on this port, bound to 127.0.0.1 only, instead
        ///   of the main port (default: the main port)
        package var port: Int?
        /// - `pds.metricsToken` → `PDS_METRICS_TOKEN`: `/metrics` requires `Authorization: Bearer <token>`
        ///   (default: no token)
        package var token: String?
    }

    /// Reads the metrics settings; invalid ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - mainPort: `PDS_PORT` (the metrics port must differ).
    ///   - problems: where problems are reported.
    static func readMetrics(reader: ConfigReader, mainPort: Int, problems: inout [String]) -> Metrics {
        var settings = Metrics(enabled: false, port: nil, token: nil)
        if let raw = reader.string(forKey: "metricsEnabled") {
            if let value = bool(raw) {
                settings.enabled = value
            } else {
                problems.append("PDS_METRICS_ENABLED must be true or false, got '\(raw)'")
            }
        }
        if let raw = reader.string(forKey: "metricsPort") {
            if let value = Int(raw), (1...65535).contains(value), value != mainPort {
                settings.port = value
            } else {
                problems.append("PDS_METRICS_PORT must be a port number other than PDS_PORT, got '\(raw)'")
            }
        }
        if let token = reader.string(forKey: "metricsToken", isSecret: true) {
            if token.isEmpty { problems.append("PDS_METRICS_TOKEN must not be empty") }
            settings.token = token
        }
        return settings
    }
}
