import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Identity

@Suite struct HTTPFetcherTests {
    let guarded = HTTPFetcher(configuration: .init(timeout: .seconds(2), maxResponseSize: 1024, ssrfProtection: true))

    @Test(arguments: [
        "http://example.com/", "ftp://example.com/", "file:///etc/passwd", "https://127.0.0.1/", "https://[::1]/",
        "https://10.0.0.5/x", "https://169.254.169.254/latest/meta-data", "https://localhost/", "https://[fd00::1]/",
        "https://[::ffff:127.0.0.1]/", "not a url",
    ])
    func guardRefusesUnsafeURLs(_ url: String) async {
        await #expect {
            _ = try await guarded.get(url)
        } throws: { error in
            guard case IdentityError.forbiddenURL = error else { return false }
            return true
        }
    }

    @Test func guardAllowsHTTPSToPublicHostSyntax() throws {
        #expect(try guarded.target(of: "https://example.com/.well-known/did.json").host == "example.com")
        #expect(try guarded.target(of: "https://[2606:4700::1]:8443/").host == "2606:4700::1")
    }

    /// A local server for size, status and timeout behaviour (guard off, as in dev mode).
    static func withServer<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("small") { _, _ in "did:plc:abc\n" }
        router.get("big") { _, _ in String(repeating: "x", count: 4096) }
        router.get("slow") { _, _ in
            try await Task.sleep(for: .seconds(3))
            return "late"
        }
        router.get("redirect") { _, _ in Response(status: .found, headers: [.location: "/small"]) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)") }
    }

    @Test func sizeLimitTimeoutAndRedirectsAreEnforced() async throws {
        try await Self.withServer { base in
            // A generous timeout for the requests that must succeed (tests share a loaded machine), a short one for
            // the endpoint that answers after 3 s.
            let fetcher = HTTPFetcher(
                configuration: .init(timeout: .seconds(20), maxResponseSize: 1024, ssrfProtection: false))
            let impatient = HTTPFetcher(
                configuration: .init(timeout: .milliseconds(500), maxResponseSize: 1024, ssrfProtection: false))
            let small = try await fetcher.get("\(base)/small")
            #expect(small.status == 200 && String(decoding: small.body, as: UTF8.self) == "did:plc:abc\n")
            await #expect(throws: IdentityError.responseTooLarge(limit: 1024)) { try await fetcher.get("\(base)/big") }
            await #expect(throws: IdentityError.timedOut("\(base)/slow")) { try await impatient.get("\(base)/slow") }
            let redirect = try await fetcher.get("\(base)/redirect")
            #expect(redirect.status == 302)
            // With the guard on, the same loopback server is refused before any connection.
            await #expect(throws: IdentityError.self) {
                try await HTTPFetcher(configuration: .init(ssrfProtection: true)).get("\(base)/small")
            }
        }
    }
}
