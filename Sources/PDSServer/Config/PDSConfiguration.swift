import Configuration
import Foundation

/// The server's configuration, read from the reference PDS's `PDS_*` environment variables.
///
/// Keys are read under the `pds` scope, so `pds.dataDirectory` is `PDS_DATA_DIRECTORY`.
package struct PDSConfiguration: Sendable {
    /// Service identity and network settings.
    package var service: Service
    /// Where data lives on disk.
    package var storage: Storage
    /// Invite-code policy.
    package var invites: Invites
    /// Identity settings (handle domains).
    package var identity: Identity

    /// Service settings.
    package struct Service: Sendable {
        /// - `pds.port` → `PDS_PORT` (default 2583)
        package var port: Int
        /// - `pds.hostname` → `PDS_HOSTNAME` (default `localhost`)
        package var hostname: String
        /// The public URL: `http://localhost:<port>` for localhost, else `https://<hostname>`.
        package var publicURL: String
        /// - `pds.serviceDid` → `PDS_SERVICE_DID` (default `did:web:<hostname>`)
        package var did: String
        /// - `pds.serviceName` → `PDS_SERVICE_NAME` (default `<hostname> PDS`)
        package var name: String
        /// - `pds.version` → `PDS_VERSION`
        package var version: String
        /// - `pds.devMode` → `PDS_DEV_MODE` (default false)
        package var devMode: Bool
        /// - `pds.privacyPolicyUrl` → `PDS_PRIVACY_POLICY_URL`
        package var privacyPolicyURL: String?
        /// - `pds.termsOfServiceUrl` → `PDS_TERMS_OF_SERVICE_URL`
        package var termsOfServiceURL: String?
        /// - `pds.contactEmailAddress` → `PDS_CONTACT_EMAIL_ADDRESS`
        package var contactEmailAddress: String?
        /// - `pds.blobUploadLimit` → `PDS_BLOB_UPLOAD_LIMIT` (default 5 MiB)
        package var blobUploadLimit: Int
    }

    /// Storage settings.
    package struct Storage: Sendable {
        /// - `pds.dataDirectory` → `PDS_DATA_DIRECTORY` (default: the working directory; `./data` in dev mode)
        package var dataDirectory: String
    }

    /// Invite settings.
    package struct Invites: Sendable {
        /// - `pds.inviteRequired` → `PDS_INVITE_REQUIRED` (default true unless `false`/`0`)
        package var required: Bool
    }

    /// Identity settings.
    package struct Identity: Sendable {
        /// - `pds.serviceHandleDomains` → `PDS_SERVICE_HANDLE_DOMAINS` (default `.test` on localhost, else `.<hostname>`)
        package var serviceHandleDomains: [String]
    }

    /// Reads the configuration.
    /// - Parameters:
    ///   - reader: a reader scoped to `pds` (environment variables `PDS_*`).
    /// - Throws: `PDSConfigurationError` naming every invalid setting.
    package init(reader: ConfigReader) throws {
        var problems: [String] = []
        let devMode = Self.bool(reader.string(forKey: "devMode")) ?? false

        let port: Int
        if let raw = reader.string(forKey: "port") {
            if let value = Int(raw), (0...65535).contains(value) {
                port = value
            } else {
                problems.append("PDS_PORT must be a port number, got '\(raw)'")
                port = 2583
            }
        } else {
            port = 2583
        }
        let hostname = reader.string(forKey: "hostname") ?? "localhost"
        let publicURL = hostname == "localhost" ? "http://localhost:\(port)" : "https://\(hostname)"
        let did = reader.string(forKey: "serviceDid") ?? "did:web:\(hostname)"
        if !did.hasPrefix("did:") { problems.append("PDS_SERVICE_DID must be a DID, got '\(did)'") }

        var blobUploadLimit = 5 * 1024 * 1024
        if let raw = reader.string(forKey: "blobUploadLimit") {
            if let value = Int(raw), value > 0 {
                blobUploadLimit = value
            } else {
                problems.append("PDS_BLOB_UPLOAD_LIMIT must be a positive integer, got '\(raw)'")
            }
        }

        self.service = Service(
            port: port,
            hostname: hostname,
            publicURL: publicURL,
            did: did,
            name: reader.string(forKey: "serviceName") ?? "\(hostname) PDS",
            version: reader.string(forKey: "version") ?? pdsVersion,
            devMode: devMode,
            privacyPolicyURL: reader.string(forKey: "privacyPolicyUrl"),
            termsOfServiceURL: reader.string(forKey: "termsOfServiceUrl"),
            contactEmailAddress: reader.string(forKey: "contactEmailAddress"),
            blobUploadLimit: blobUploadLimit
        )

        self.storage = Storage(
            dataDirectory: reader.string(forKey: "dataDirectory") ?? (devMode ? "./data" : FileManager.default.currentDirectoryPath)
        )

        self.invites = Invites(required: Self.bool(reader.string(forKey: "inviteRequired")) ?? true)

        let domains: [String]
        if let raw = reader.string(forKey: "serviceHandleDomains") {
            domains = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            domains = hostname == "localhost" ? [".test"] : [".\(hostname)"]
        }
        for domain in domains where !domain.hasPrefix(".") {
            problems.append("PDS_SERVICE_HANDLE_DOMAINS entries must start with '.', got '\(domain)'")
        }
        self.identity = Identity(serviceHandleDomains: domains)

        if !problems.isEmpty { throw PDSConfigurationError(problems: problems) }
    }

    /// Parses a boolean as the reference does: only `true`/`1` and `false`/`0` are recognised.
    static func bool(_ raw: String?) -> Bool? {
        switch raw {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}

/// A configuration that cannot be used, with every problem found.
package struct PDSConfigurationError: Error, CustomStringConvertible, Sendable {
    /// One line per invalid or missing setting.
    package var problems: [String]

    package var description: String {
        "Invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
