import ATCore

/// Finds the DID that publishes a Lexicon (atproto.com/specs/lexicon, "Lexicon Publication and Resolution"): the
/// NSID's authority domain is its segments except the name, reversed (`com.example.perms.basic` →
/// `perms.example.com`), and the DNS TXT record `_lexicon.<authority>` holds `did=<DID>`. There is no fallback to
/// parent domains, as the spec says.
package struct LexiconAuthorityResolver: Sendable {
    /// The nameservers asked (default: `/etc/resolv.conf`).
    package var nameservers: [DNSServerAddress]
    /// The deadline for the lookup.
    package var timeout: Duration
    /// A DID that publishes every Lexicon, skipping DNS (`PDS_LEXICON_AUTHORITY_DID`, as the reference's override).
    package var override: DID?

    /// Creates a resolver.
    /// - Parameters:
    ///   - nameservers: the servers to ask.
    ///   - timeout: the lookup deadline.
    ///   - override: a DID that answers for every NSID instead of DNS.
    package init(
        nameservers: [DNSServerAddress] = DNSServerAddress.system(), timeout: Duration = .seconds(3),
        override: DID? = nil
    ) {
        self.nameservers = nameservers
        self.timeout = timeout
        self.override = override
    }

    /// The authority domain of `nsid` (lower-cased), or `nil` when it is not an NSID (fewer than three segments).
    /// - Parameters:
    ///   - nsid: the Lexicon's NSID.
    package static func authorityDomain(of nsid: String) -> String? {
        let segments = nsid.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count >= 3, segments.allSatisfy({ !$0.isEmpty }) else { return nil }
        return segments.dropLast().reversed().joined(separator: ".").lowercased()
    }

    /// The DID publishing `nsid`.
    /// - Parameters:
    ///   - nsid: the Lexicon's NSID.
    /// - Throws: ``IdentityError/dns(_:)`` when the NSID has no authority domain, the record is missing or holds
    ///   no single valid `did=`; the DNS client's errors (timeout, no answer).
    package func resolve(nsid: String) async throws -> DID {
        if let override { return override }
        guard let domain = Self.authorityDomain(of: nsid) else { throw IdentityError.dns("\(nsid) is not an NSID") }
        let name = "_lexicon." + domain
        let values = try await DNSClient(nameservers: nameservers, timeout: timeout).txt(name)
        let claims = values.filter { $0.hasPrefix("did=") }
        guard claims.count == 1 else {
            throw IdentityError.dns(
                claims.isEmpty ? "no did= TXT record at \(name)" : "more than one did= TXT record at \(name)")
        }
        do {
            return try DID(claims[0].dropFirst(4))
        } catch {
            throw IdentityError.dns("the TXT record at \(name) does not hold a valid DID")
        }
    }
}
