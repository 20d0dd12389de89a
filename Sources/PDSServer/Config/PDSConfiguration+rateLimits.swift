import Configuration

extension PDSConfiguration {
    /// Rate limit settings (see ``RateLimits``).
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
        /// - `pds.trustedProxies` → `PDS_TRUSTED_PROXIES` (our extension): comma-separated addresses, CIDR blocks or
        ///   the names `loopback`, `linklocal`, `uniquelocal`, whose `X-Forwarded-For` is believed when they are the
        ///   peer; `none` trusts no proxy. Default `loopback,linklocal,uniquelocal`: the reference's `trust proxy`
        package var trustedProxies: [IPRange]

        /// The reference's `trust proxy` list.
        package static let defaultTrustedProxies = "loopback,linklocal,uniquelocal"
    }

    /// Reads the rate limit settings; invalid ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - devMode: whether rate limits default to on.
    ///   - problems: where problems are reported.
    static func readRateLimits(reader: ConfigReader, devMode: Bool, problems: inout [String]) -> RateLimits {
        func ranges(_ raw: String?, _ variable: String) -> [IPRange] {
            var result: [IPRange] = []
            for entry in list(raw) where entry.lowercased() != "none" {
                if let parsed = IPRange.parseEntry(entry) {
                    result += parsed
                } else {
                    problems.append("\(variable) entries must be IP addresses or CIDR blocks, got '\(entry)'")
                }
            }
            return result
        }
        let enabled = bool(reader.string(forKey: "rateLimitsEnabled")) ?? devMode
        let bypassKey = reader.string(forKey: "rateLimitBypassKey", isSecret: true)
        return RateLimits(
            enabled: enabled,
            bypassKey: bypassKey?.isEmpty == true ? nil : bypassKey,
            bypassIPs: ranges(reader.string(forKey: "rateLimitBypassIps"), "PDS_RATE_LIMIT_BYPASS_IPS"),
            trustedProxies: ranges(
                reader.string(forKey: "trustedProxies") ?? RateLimits.defaultTrustedProxies, "PDS_TRUSTED_PROXIES")
        )
    }
}
