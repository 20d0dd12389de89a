import ATCore
import Configuration
import Crypto

extension PDSConfiguration {
    /// The OAuth authorization server (`PDS_OAUTH_*`, `PDS_DPOP_SECRET`).
    package struct OAuth: Sendable {
        /// - `pds.oauthTrustedClients` → `PDS_OAUTH_TRUSTED_CLIENTS`: comma-separated client ids treated as
        ///   first-party (default none): their sessions last 2 years, or 3 months without a refresh, as the
        ///   reference's.
        package var trustedClients: [String]
        /// - `pds.dpopSecret` → `PDS_DPOP_SECRET`: the key DPoP nonces are derived from, so that several processes
        ///   (or a restart) agree on them (default: random per process, as the reference).
        package var dpopSecret: String?
        /// - `pds.lexiconAuthorityDid` → `PDS_LEXICON_AUTHORITY_DID`: the DID that publishes every permission set
        ///   `include:` scopes name, instead of each NSID's DNS `_lexicon` record (as the reference's override; for
        ///   development and tests)
        package var lexiconAuthorityDID: DID? = nil

        /// The nonce key: `PDS_DPOP_SECRET`'s bytes, or a fresh random key.
        package var dpopKey: SymmetricKey {
            dpopSecret.map { SymmetricKey(data: Array($0.utf8)) } ?? SymmetricKey(size: .bits256)
        }
    }

    /// Reads the OAuth settings; invalid ones are added to `problems`.
    /// - Parameters:
    ///   - reader: the reader scoped to `pds`.
    ///   - problems: where problems are reported.
    static func readOAuth(reader: ConfigReader, problems: inout [String]) -> OAuth {
        let trusted = list(reader.string(forKey: "oauthTrustedClients"))
        for client in trusted where !client.hasPrefix("https://") && !client.hasPrefix("http://localhost") {
            problems.append("PDS_OAUTH_TRUSTED_CLIENTS entries must be https client ids, got '\(client)'")
        }
        let secret = reader.string(forKey: "dpopSecret", isSecret: true)
        if let secret, secret.utf8.count < 16 { problems.append("PDS_DPOP_SECRET must be at least 16 characters") }
        var lexiconAuthority: DID?
        if let value = reader.string(forKey: "lexiconAuthorityDid") {
            do {
                lexiconAuthority = try DID(value)
            } catch {
                problems.append("PDS_LEXICON_AUTHORITY_DID must be a DID, got '\(value)'")
            }
        }
        return OAuth(trustedClients: trusted, dpopSecret: secret, lexiconAuthorityDID: lexiconAuthority)
    }
}
