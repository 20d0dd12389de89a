import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PDSServer

/// Builds applications for tests.
package enum TestApplication {
    /// A configuration for tests from the given `PDS_*` variables (dev mode, port 0 unless given).
    package static func configuration(_ environment: [String: String] = [:]) throws -> PDSConfiguration {
        var env = ["PDS_DEV_MODE": "true", "PDS_PORT": "0"]
        env.merge(environment) { _, new in new }
        return try PDSConfiguration.fromEnvironment(env)
    }

    /// The application for the given configuration, with a quiet logger.
    package static func make(configuration: PDSConfiguration) -> some ApplicationProtocol {
        var logger = Logger(label: "pds-test")
        logger.logLevel = .warning
        return buildApplication(configuration: configuration, logger: logger)
    }
}
