import ATCore
import Foundation

/// Resolves a handle to the DID it claims, as the reference PDS does: DNS TXT `_atproto.<handle>` and HTTPS
/// `GET https://<handle>/.well-known/atproto-did` run in parallel; a DNS answer wins; otherwise the HTTP answer;
/// otherwise DNS again through the backup nameservers.
///
/// The result is only the handle's claim: check that the DID's document lists the handle too
/// (``IDResolver/verifyHandle(_:resolvesTo:)``).
package final class HandleResolver: Sendable {
    /// Resolution settings.
    package struct Configuration: Sendable {
        /// The deadline for each method (`PDS_ID_RESOLVER_TIMEOUT`, default 3 s).
        package var timeout: Duration
        /// The primary nameservers (default: `/etc/resolv.conf`).
        package var nameservers: [DNSServerAddress]
        /// Nameservers tried when neither method found a DID (`PDS_HANDLE_BACKUP_NAMESERVERS`).
        package var backupNameservers: [DNSServerAddress]
        /// The HTTPS fetch policy (size limit, SSRF guard).
        package var fetch: HTTPFetcher.Configuration
        /// The well-known URL for a handle; default `https://<handle>/.well-known/atproto-did`. Override only to
        /// point tests or a local dev setup at another host.
        package var wellKnownURL: @Sendable (Handle) -> String

        /// Creates a configuration.
        /// - Parameters:
        ///   - timeout: the per-method deadline.
        ///   - nameservers: the primary nameservers.
        ///   - backupNameservers: the backup nameservers.
        ///   - fetch: the HTTPS fetch policy; its timeout is replaced by `timeout`.
        ///   - wellKnownURL: the URL to fetch for a handle.
        package init(
            timeout: Duration = .seconds(3), nameservers: [DNSServerAddress] = DNSServerAddress.system(),
            backupNameservers: [DNSServerAddress] = [], fetch: HTTPFetcher.Configuration = .init(),
            wellKnownURL: @escaping @Sendable (Handle) -> String = { "https://\($0.rawValue)/.well-known/atproto-did" }
        ) {
            self.timeout = timeout
            self.nameservers = nameservers
            self.backupNameservers = backupNameservers
            self.fetch = fetch
            self.wellKnownURL = wellKnownURL
        }

        /// Parses `PDS_HANDLE_BACKUP_NAMESERVERS`: comma-separated addresses, each optionally with a port.
        /// - Parameters:
        ///   - value: the setting.
        /// - Returns: the servers, or `nil` if any entry is invalid.
        package static func parseNameservers(_ value: String) -> [DNSServerAddress]? {
            var out: [DNSServerAddress] = []
            for entry in value.split(separator: ",") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let server = DNSServerAddress(entry) else { return nil }
                out.append(server)
            }
            return out
        }
    }

    /// The settings.
    package let configuration: Configuration
    private let fetcher: HTTPFetcher

    /// Creates a resolver.
    /// - Parameters:
    ///   - configuration: the settings.
    package init(configuration: Configuration = .init()) {
        self.configuration = configuration
        var fetch = configuration.fetch
        fetch.timeout = configuration.timeout
        self.fetcher = HTTPFetcher(configuration: fetch)
    }

    /// The DID a handle claims, or `nil` when neither DNS nor HTTPS gives exactly one valid DID.
    /// - Parameters:
    ///   - handle: the handle.
    package func resolve(_ handle: Handle) async -> DID? {
        await withTaskGroup(of: DID?.self) { group in
            group.addTask { await self.resolveHTTP(handle) }
            if let did = await resolveDNS(handle, nameservers: configuration.nameservers) {
                group.cancelAll()
                return did
            }
            if let did = await group.next() ?? nil { return did }
            guard !configuration.backupNameservers.isEmpty else { return nil }
            return await resolveDNS(handle, nameservers: configuration.backupNameservers)
        }
    }

    /// The DID in the `_atproto.<handle>` TXT records: exactly one value must start with `did=`.
    /// - Parameters:
    ///   - handle: the handle.
    ///   - nameservers: the servers to ask.
    package func resolveDNS(_ handle: Handle, nameservers: [DNSServerAddress]) async -> DID? {
        let client = DNSClient(nameservers: nameservers, timeout: configuration.timeout)
        guard let values = try? await client.txt("_atproto.\(handle.rawValue)") else { return nil }
        return Self.parseDNSValues(values)
    }

    /// The DID in a handle's HTTPS well-known document: the first line, trimmed, must be a DID.
    /// - Parameters:
    ///   - handle: the handle.
    package func resolveHTTP(_ handle: Handle) async -> DID? {
        guard let response = try? await fetcher.get(configuration.wellKnownURL(handle), accept: "text/plain"),
            response.status == 200
        else { return nil }
        return Self.parseWellKnown(response.body)
    }

    /// Picks the DID out of TXT values.
    static func parseDNSValues(_ values: [String]) -> DID? {
        let claims = values.filter { $0.hasPrefix("did=") }
        guard claims.count == 1 else { return nil }
        return try? DID(claims[0].dropFirst(4))
    }

    /// Picks the DID out of a well-known body.
    static func parseWellKnown(_ body: [UInt8]) -> DID? {
        let text = String(decoding: body, as: UTF8.self)
        guard let line = text.split(separator: "\n", omittingEmptySubsequences: false).first else { return nil }
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("did:") else { return nil }
        return try? DID(trimmed)
    }
}
