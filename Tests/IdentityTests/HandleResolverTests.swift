import ATCore
import ATCrypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Identity

/// Handle resolution against a local DNS server and a local HTTP server (no internet).
@Suite struct HandleResolverTests {
    /// Serves `/<handle>/.well-known/atproto-did` from `bodies`.
    static func withWebServer<T: Sendable>(
        bodies: [String: String],
        _ body: @escaping @Sendable (String, Int) async throws -> T
    ) async throws -> T {
        let router = Router()
        router.get(":handle/.well-known/atproto-did") { _, context in
            guard let text = bodies[context.parameters.get("handle") ?? ""] else { throw HTTPError(.notFound) }
            return text
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            return try await body("http://127.0.0.1:\(port)", port)
        }
    }

    static func handle(_ string: String) -> Handle { try! Handle(string) }

    static func resolver(dns: LocalDNSServer, base: String, backup: [DNSServerAddress] = []) -> HandleResolver {
        HandleResolver(
            configuration: .init(
                timeout: .seconds(20), nameservers: [dns.address], backupNameservers: backup,
                fetch: .init(timeout: .seconds(20), ssrfProtection: false),
                wellKnownURL: { "\(base)/\($0.rawValue)/.well-known/atproto-did" }))
    }

    @Test func dnsIsPreferredOverHTTP() async throws {
        let dns = try LocalDNSServer(records: ["_atproto.both.test": [["did=did:plc:fromdns"]]])
        defer { dns.stop() }
        try await Self.withWebServer(bodies: ["both.test": "did:plc:fromhttp"]) { base, _ in
            let resolver = Self.resolver(dns: dns, base: base)
            #expect(await resolver.resolve(Self.handle("both.test"))?.rawValue == "did:plc:fromdns")
        }
    }

    @Test func httpIsUsedWhenDNSHasNothing() async throws {
        let dns = try LocalDNSServer(records: [:])
        defer { dns.stop() }
        try await Self.withWebServer(bodies: ["web.test": "  did:plc:fromhttp  \nignored second line"]) { base, _ in
            let resolver = Self.resolver(dns: dns, base: base)
            #expect(await resolver.resolve(Self.handle("web.test"))?.rawValue == "did:plc:fromhttp")
            #expect(await resolver.resolve(Self.handle("nothing.test")) == nil)
        }
    }

    @Test func backupNameserversAreTriedLast() async throws {
        let primary = try LocalDNSServer(records: [:])
        let backup = try LocalDNSServer(records: ["_atproto.backup.test": [["did=did:plc:frombackup"]]])
        defer {
            primary.stop()
            backup.stop()
        }
        try await Self.withWebServer(bodies: [:]) { base, _ in
            let resolver = Self.resolver(dns: primary, base: base, backup: [backup.address])
            #expect(await resolver.resolve(Self.handle("backup.test"))?.rawValue == "did:plc:frombackup")
        }
    }

    @Test func ambiguousOrInvalidRecordsResolveToNothing() async throws {
        let dns = try LocalDNSServer(records: [
            "_atproto.two.test": [["did=did:plc:one"], ["did=did:plc:two"]],
            "_atproto.bad.test": [["did=not a did"]],
            "_atproto.other.test": [["v=spf1 -all"], ["did=did:plc:other"]],
        ])
        defer { dns.stop() }
        try await Self.withWebServer(bodies: ["bad-http.test": "<html>not a did</html>"]) { base, _ in
            let resolver = Self.resolver(dns: dns, base: base)
            #expect(await resolver.resolve(Self.handle("two.test")) == nil)
            #expect(await resolver.resolve(Self.handle("bad.test")) == nil)
            #expect(await resolver.resolve(Self.handle("other.test"))?.rawValue == "did:plc:other")
            #expect(await resolver.resolve(Self.handle("bad-http.test")) == nil)
        }
    }

    @Test func handleHTTPSFetchesAreGuardedByDefault() async throws {
        let dns = try LocalDNSServer(records: [:])
        defer { dns.stop() }
        try await Self.withWebServer(bodies: ["web.test": "did:plc:fromhttp"]) { base, _ in
            let resolver = HandleResolver(
                configuration: .init(
                    timeout: .seconds(2), nameservers: [dns.address],
                    wellKnownURL: { "\(base)/\($0.rawValue)/.well-known/atproto-did" }))
            #expect(await resolver.resolve(Self.handle("web.test")) == nil)
        }
    }

    // MARK: - did:web and bidirectional verification

    @Test func didWebURLs() throws {
        #expect(try DIDResolver.didWebURL(DID("did:web:example.com")) == "https://example.com/.well-known/did.json")
        #expect(
            try DIDResolver.didWebURL(DID("did:web:localhost%3A2583")) == "http://localhost:2583/.well-known/did.json")
        #expect(
            try DIDResolver.didWebURL(DID("did:web:example.com%3A8443"))
                == "https://example.com:8443/.well-known/did.json")
        #expect(throws: IdentityError.self) { try DIDResolver.didWebURL(DID("did:web:example.com:user:alice")) }
        #expect(throws: IdentityError.self) { try DIDResolver.didWebURL(DID("did:web:evil.com%2Fx")) }
    }

    @Test func bidirectionalVerification() async throws {
        let signing = Secp256k1Keypair()
        let dns = try LocalDNSServer(records: [:])
        defer { dns.stop() }
        // The test server's port is only known once it runs, so the DID is derived from the request's authority.
        try await Self.withDynamicWebServer(signing: signing) { base, port in
            let did = try DID("did:web:localhost%3A\(port)")
            let resolvers = IDResolver(
                did: DIDResolver(configuration: .init(fetch: .init(timeout: .seconds(20), ssrfProtection: false))),
                handle: Self.resolver(dns: dns, base: base))
            let document = try await resolvers.did.ensureResolve(did)
            #expect(document.signingKey?.did == signing.did)
            #expect(try await resolvers.verifyHandle(Handle("alice.test"), resolvesTo: did))
            #expect(try await resolvers.verifiedHandle(for: did)?.rawValue == "alice.test")
            #expect(try await resolvers.resolveVerified(Handle("alice.test")) == did)
            // mallory.test claims the DID, but the document does not list it.
            #expect(try await !resolvers.verifyHandle(Handle("mallory.test"), resolvesTo: did))
            #expect(try await resolvers.resolveVerified(Handle("mallory.test")) == nil)
            // With the SSRF guard on, did:web on localhost is refused.
            await #expect(throws: IdentityError.self) {
                try await DIDResolver().resolve(did)
            }
        }
    }

    static func withDynamicWebServer<T: Sendable>(
        signing: Secp256k1Keypair, _ body: @escaping @Sendable (String, Int) async throws -> T
    ) async throws -> T {
        let router = Router()
        router.get(":handle/.well-known/atproto-did") { request, _ in
            let port = request.head.authority?.split(separator: ":").last ?? ""
            return "did:web:localhost%3A\(port)"
        }
        router.get(".well-known/did.json") { request, _ in
            let port = request.head.authority?.split(separator: ":").last ?? ""
            let did = try DID("did:web:localhost%3A\(port)")
            let document = DIDDocument(
                id: did, alsoKnownAs: ["at://alice.test"],
                verificationMethod: [
                    .init(
                        id: "\(did)#atproto", type: "Multikey", controller: did.rawValue,
                        publicKeyMultibase: signing.publicKey.multikey)
                ],
                service: [
                    .init(id: "#atproto_pds", type: "AtprotoPersonalDataServer", serviceEndpoint: "https://pds.test")
                ])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: document.jsonBytes)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            return try await body("http://127.0.0.1:\(port)", port)
        }
    }
}
