import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PDSServer

/// Builds applications for tests.
package enum TestApplication {
    /// A configuration for tests from the given `PDS_*` variables (dev mode, port 0 unless given).
    /// - Parameters:
    ///   - environment: extra variables.
    ///   - dataDirectory: the data directory (`PDS_DATA_DIRECTORY`), normally a temporary one.
    package static func configuration(_ environment: [String: String] = [:], dataDirectory: URL? = nil) throws
        -> PDSConfiguration
    {
        var env = ["PDS_DEV_MODE": "true", "PDS_PORT": "0", "PDS_INVITE_REQUIRED": "false"]
        if let dataDirectory { env["PDS_DATA_DIRECTORY"] = dataDirectory.path }
        env.merge(environment) { _, new in new }
        return try PDSConfiguration.fromEnvironment(env)
    }

    /// Real services (dev mode: generated secrets, embedded PLC, disk blobstore in `<data>/blocks`) in
    /// `dataDirectory`.
    /// - Parameters:
    ///   - environment: extra variables.
    ///   - dataDirectory: the data directory.
    ///   - now: the wall clock (a ``TestWallClock``'s `function` to move time by hand).
    ///   - sequencerBeforeWrite: runs on the sequencer's writer before each batch (to hold or break it).
    ///   - configure: changes to the configuration read from the environment (settings no variable holds, such as
    ///     ``PDSConfiguration/Email/trustRootsFile``).
    package static func services(
        _ environment: [String: String] = [:], dataDirectory: URL, now: @escaping @Sendable () -> Date = Date.init,
        sequencerBeforeWrite: (@Sendable () throws -> Void)? = nil,
        configure: (inout PDSConfiguration) -> Void = { _ in }
    ) throws -> PDSServices {
        var configuration = try configuration(environment, dataDirectory: dataDirectory)
        configure(&configuration)
        return try PDSServices(
            configuration: configuration, logger: quietLogger, now: now, sequencerBeforeWrite: sequencerBeforeWrite)
    }

    /// The application for `services`, with a quiet logger (after the start-up reconcile, as `pds serve`).
    package static func make(services: PDSServices) async throws -> some ApplicationProtocol {
        try await buildApplication(services: services, logger: quietLogger)
    }

    /// The application with real services in `dataDirectory`.
    package static func make(_ environment: [String: String] = [:], dataDirectory: URL) async throws
        -> some ApplicationProtocol
    {
        try await make(services: try services(environment, dataDirectory: dataDirectory))
    }

    /// Runs `body` against a fresh server (in a temporary data directory, `.router` transport) with one account.
    /// - Parameters:
    ///   - environment: extra `PDS_*` variables.
    ///   - handle: the account's handle.
    ///   - now: the server's wall clock.
    ///   - body: the test, given the data directory, the services, a client and the account's session.
    package static func withAccount(
        _ environment: [String: String] = [:], handle: String = "alice.test",
        now: @escaping @Sendable () -> Date = Date.init,
        _ body: @escaping @Sendable (URL, PDSServices, XRPCTestClient, XRPCSession) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { dir in
            let services = try Self.services(environment, dataDirectory: dir, now: now)
            try await make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                try await body(dir, services, xrpc, try await xrpc.createAccount(handle: handle))
            }
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "pds-test")
        logger.logLevel = .warning
        return logger
    }
}
