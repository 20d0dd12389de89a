import Configuration

extension PDSConfiguration {
    /// Rate limit settings (see ``RateLimits``); the client IP they count by comes through
    /// ``PDSConfiguration/HTTP/trustedProxies``.
    package struct RateLimits: Sendable {
        /// - `pds.rateLimitsEnabled` → `PDS_RATE_LIMITS_ENABLED` (default: `PDS_DEV_MODE`; the reference defaults to
        ///   false and its distribution sets true)
        package var enabled: Bool
        /// - `pds.rateLimitBypassKey` → `PDS_RATE_LIMIT_BYPASS_KEY` (secret): a request whose `x-ratelimit-bypass`
        ///   header equals it is not limited
        package var bypassKey: String?
        /// - `pds.rateLimitBypassIps` → `PDS_RATE_LIMIT_BYPASS_IPS`: comma-separated addresses or CIDR blocks whose
        ///   requests are not limited (the reference strips a `/n` suffix, so only its exact addresses work)
        package var bypassIPs: [IPRange]
    }

    /// Reads the rate limit settings; invalid ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - devMode: whether rate limits default to on.
    ///   - problems: where problems are reported.
    static func readRateLimits(reader: ConfigReader, devMode: Bool, problems: inout [String]) -> RateLimits {
        let enabled = bool(reader.string(forKey: "rateLimitsEnabled")) ?? devMode
        let bypassKey = reader.string(forKey: "rateLimitBypassKey", isSecret: true)
        return RateLimits(
            enabled: enabled,
            bypassKey: bypassKey?.isEmpty == true ? nil : bypassKey,
            bypassIPs: ipRanges(
                reader.string(forKey: "rateLimitBypassIps"), "PDS_RATE_LIMIT_BYPASS_IPS", problems: &problems)
        )
    }

    /// Parses a comma-separated list of addresses, CIDR blocks and the names of ``IPRange/named`` (`none` for an
    /// empty list); invalid entries are added to `problems`.
    /// - Parameters:
    ///   - raw: the variable's value.
    ///   - variable: its name, for the problems.
    ///   - problems: where problems are reported.
    static func ipRanges(_ raw: String?, _ variable: String, problems: inout [String]) -> [IPRange] {
        var result: [IPRange] = []
        for entry in list(raw) where entry.lowercased() != "none" {
            if let parsed = IPRange.parseEntry(entry) {
                result += parsed
            } else {
                problems.append("\(variable) entries must be IP addresses, CIDR blocks or loopback, linklocal, "
                    + "uniquelocal, got '\(entry)'")
            }
        }
        return result
    }
}
