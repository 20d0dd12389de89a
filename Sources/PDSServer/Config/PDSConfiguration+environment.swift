import Configuration

extension PDSConfiguration {
    /// Reads the configuration from environment variables (`PDS_*`).
    /// - Parameters:
    ///   - environment: the variables to read; the process environment when `nil`.
    package static func fromEnvironment(_ environment: [String: String]? = nil) throws -> PDSConfiguration {
        let provider =
            environment.map { EnvironmentVariablesProvider(environmentVariables: $0) } ?? EnvironmentVariablesProvider()
        return try PDSConfiguration(reader: ConfigReader(provider: provider).scoped(to: "pds"))
    }
}
