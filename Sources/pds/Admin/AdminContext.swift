import AsyncHTTPClient
import Foundation
import PDSServer

/// What an admin command works with: the server's configuration (read as `pds serve` reads it), a client of the
/// running server, and the output mode.
struct AdminContext: Sendable {
    /// The configuration.
    let configuration: PDSConfiguration
    /// The client of the running PDS.
    let client: AdminClient
    /// `--json`.
    let json: Bool

    /// Reads the configuration and points a client at the server.
    /// - Throws: ``AdminFailure/configuration(_:)``.
    /// - Parameters:
    ///   - options: the command's options.
    ///   - http: the HTTP client to call the server with.
    static func load(_ options: AdminOptions, http: HTTPClient) throws(AdminFailure) -> AdminContext {
        let configuration: PDSConfiguration
        do {
            configuration = try PDSConfiguration.fromEnvironment(try ServerEnvironment.load(envFile: options.envFile))
        } catch let error as ServerEnvironment.LoadError {
            throw .configuration(error.description)
        } catch let error as PDSConfigurationError {
            throw .configuration("invalid configuration: \(error.description)")
        } catch {
            throw .configuration("invalid configuration: \(error)")
        }
        let password: String?
        do {
            password = try configuration.adminPasswordForClients()
        } catch {
            throw .configuration("cannot read \(configuration.devSecretsURL.path): \(error.localizedDescription)")
        }
        let url = options.url ?? "http://localhost:\(configuration.service.port)"
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw .configuration("--url must be an http(s) URL, got '\(url)'")
        }
        return AdminContext(
            configuration: configuration, client: AdminClient(baseURL: url, adminPassword: password, http: http),
            json: options.json)
    }

    /// Prints `table` for people, or `json` with `--json`, on stdout.
    func emit(table: @autoclosure () -> String, json value: @autoclosure () -> JSONValue) {
        if json {
            print(value().prettyText)
        } else {
            print(table(), terminator: "")
        }
    }
}
