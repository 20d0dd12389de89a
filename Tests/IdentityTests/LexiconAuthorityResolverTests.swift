import ATCore
import Testing

@testable import Identity

/// Lexicon authority resolution: NSID → authority domain → `_lexicon` TXT, against a local DNS server.
@Suite struct LexiconAuthorityResolverTests {
    @Test func authorityDomainIsTheReversedNSIDWithoutItsName() {
        #expect(LexiconAuthorityResolver.authorityDomain(of: "com.example.perms.basic") == "perms.example.com")
        #expect(
            LexiconAuthorityResolver.authorityDomain(of: "edu.University.dept.lab.blogging.getBlogPost")
                == "blogging.lab.dept.university.edu")
        #expect(LexiconAuthorityResolver.authorityDomain(of: "app.bsky.feed") == "bsky.app")
        #expect(LexiconAuthorityResolver.authorityDomain(of: "com.example") == nil)
        #expect(LexiconAuthorityResolver.authorityDomain(of: "com..example.x") == nil)
    }

    @Test func resolvesTheDIDFromTheLexiconTXTRecord() async throws {
        let dns = try LocalDNSServer(records: [
            "_lexicon.perms.example.com": [["did=did:plc:authority"]],
            "_lexicon.two.example.com": [["did=did:plc:one"], ["did=did:plc:two"]],
            "_lexicon.bad.example.com": [["did=not a did"]],
        ])
        defer { dns.stop() }
        let resolver = LexiconAuthorityResolver(nameservers: [dns.address], timeout: .seconds(20))
        #expect(try await resolver.resolve(nsid: "com.example.perms.basic") == DID("did:plc:authority"))
        // No fallback to the parent domain: `_lexicon.example.com` is never asked.
        await #expect(throws: IdentityError.self) { try await resolver.resolve(nsid: "com.example.missing.set") }
        await #expect(throws: IdentityError.self) { try await resolver.resolve(nsid: "com.example.two.set") }
        await #expect(throws: IdentityError.self) { try await resolver.resolve(nsid: "com.example.bad.set") }
        #expect(!dns.askedNames.contains("_lexicon.example.com"))
    }

    @Test func theOverrideAnswersWithoutDNS() async throws {
        let resolver = LexiconAuthorityResolver(nameservers: [], override: try DID("did:plc:override"))
        #expect(try await resolver.resolve(nsid: "com.example.perms.basic") == DID("did:plc:override"))
    }
}
