/// The environment `pds serve` and the offline commands read the configuration from.
enum ServerEnvironment {
    /// `environment` with dev mode on when nothing is configured (no `PDS_HOSTNAME` and no `PDS_DATA_DIRECTORY`
    /// and no `PDS_DEV_MODE`), as `pds serve` documents.
    static func resolve(_ environment: [String: String], forceDev: Bool = false) -> [String: String] {
        var environment = environment
        let unconfigured = environment["PDS_HOSTNAME"] == nil && environment["PDS_DATA_DIRECTORY"] == nil
        if forceDev || (unconfigured && environment["PDS_DEV_MODE"] == nil) { environment["PDS_DEV_MODE"] = "true" }
        return environment
    }
}
