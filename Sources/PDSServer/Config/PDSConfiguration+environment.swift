import Configuration
import Foundation

extension PDSConfiguration {
    /// Reads the configuration from environment variables (`PDS_*`).
    /// - Parameters:
    ///   - environment: the variables to read; the process environment when `nil`.
    package static func fromEnvironment(_ environment: [String: String]? = nil) throws -> PDSConfiguration {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let provider = EnvironmentVariablesProvider(environmentVariables: environment)
        return try PDSConfiguration(
            reader: ConfigReader(provider: provider).scoped(to: "pds"), environment: environment)
    }
}
