import Foundation
import Identity
import Testing

@testable import PDSServer

/// The client IP the limits count by, the bypasses, and the `PDS_RATE_LIMIT*` / `PDS_TRUSTED_PROXIES` settings.
@Suite struct ClientIPTests {
    func limits(_ environment: [String: String] = [:]) throws -> RateLimits {
        let configuration = try PDSConfiguration.fromEnvironment(environment.merging(["PDS_DEV_MODE": "true"]) { a, _ in a })
        return RateLimits(
            configuration: configuration.rateLimits, trustedProxies: configuration.http.trustedProxies, now: Date.init)
    }

    @Test func peerIsTheClientWithoutForwardedFor() throws {
        let limits = try limits()
        #expect(limits.clientIP(peer: "203.0.113.9", forwardedFor: [])?.description == "203.0.113.9")
        #expect(limits.clientIP(peer: "::ffff:203.0.113.9", forwardedFor: [])?.description == "203.0.113.9")
        #expect(limits.clientIP(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() throws {
        let limits = try limits()  // default: loopback
        #expect(limits.clientIP(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"])?.description == "203.0.113.9")
        #expect(limits.clientIP(peer: "::1", forwardedFor: ["2001:db8::1"])?.description == "2001:db8::1")
        #expect(limits.clientIP(peer: "172.18.0.2", forwardedFor: ["203.0.113.9"])?.description == "172.18.0.2")
        let docker = try self.limits(["PDS_TRUSTED_PROXIES": "loopback,uniquelocal"])
        #expect(docker.clientIP(peer: "172.18.0.2", forwardedFor: ["203.0.113.9"])?.description == "203.0.113.9")
        // A public peer's header is ignored: it could say anything.
        #expect(limits.clientIP(peer: "198.51.100.1", forwardedFor: ["203.0.113.9"])?.description == "198.51.100.1")
        // From the right: the proxy appended the hop it saw; what the client wrote further left is not believed.
        #expect(
            limits.clientIP(peer: "127.0.0.1", forwardedFor: ["1.1.1.1, 203.0.113.9"])?.description == "203.0.113.9")
        // Trusted hops are skipped, over several header lines.
        #expect(
            docker.clientIP(peer: "127.0.0.1", forwardedFor: ["1.1.1.1, 203.0.113.9", "10.0.0.5"])?.description
                == "203.0.113.9")
        // A hop that is not an address stops the walk at the proxy that sent it.
        #expect(limits.clientIP(peer: "127.0.0.1", forwardedFor: ["unknown"])?.description == "127.0.0.1")
    }

    @Test func trustedProxiesCanBeNarrowedOrTurnedOff() throws {
        let none = try limits(["PDS_TRUSTED_PROXIES": "none"])
        #expect(none.clientIP(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"])?.description == "127.0.0.1")
        let one = try limits(["PDS_TRUSTED_PROXIES": "192.0.2.10, 10.1.0.0/16"])
        #expect(one.clientIP(peer: "192.0.2.10", forwardedFor: ["203.0.113.9"])?.description == "203.0.113.9")
        #expect(one.clientIP(peer: "10.1.2.3", forwardedFor: ["203.0.113.9"])?.description == "203.0.113.9")
        #expect(one.clientIP(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"])?.description == "127.0.0.1")
    }

    @Test func bypassByKeyOrAddress() throws {
        let limits = try limits([
            "PDS_RATE_LIMIT_BYPASS_KEY": "sekret", "PDS_RATE_LIMIT_BYPASS_IPS": "198.51.100.7, 2001:db8::/32",
        ])
        let outsider = IPAddress("203.0.113.9")
        #expect(limits.bypasses(clientIP: outsider, bypassHeader: "sekret"))
        #expect(!limits.bypasses(clientIP: outsider, bypassHeader: "sekret2"))
        #expect(!limits.bypasses(clientIP: outsider, bypassHeader: nil))
        #expect(limits.bypasses(clientIP: IPAddress("198.51.100.7"), bypassHeader: nil))
        #expect(limits.bypasses(clientIP: IPAddress("::ffff:198.51.100.7"), bypassHeader: nil))
        #expect(limits.bypasses(clientIP: IPAddress("2001:db8:1::5"), bypassHeader: nil))
        #expect(!limits.bypasses(clientIP: IPAddress("198.51.100.8"), bypassHeader: nil))
        #expect(!limits.bypasses(clientIP: nil, bypassHeader: nil))
    }

    @Test func enabledByDefaultInDevModeOnly() throws {
        #expect(try PDSConfiguration.fromEnvironment(["PDS_DEV_MODE": "true"]).rateLimits.enabled)
        #expect(
            try !PDSConfiguration.fromEnvironment(["PDS_DEV_MODE": "true", "PDS_RATE_LIMITS_ENABLED": "false"])
                .rateLimits.enabled)
        let production = ["PDS_HOSTNAME": "pds.example.com", "PDS_DATA_DIRECTORY": "/tmp/x"]
        #expect(try !PDSConfiguration.fromEnvironment(production).rateLimits.enabled)
        #expect(
            try PDSConfiguration.fromEnvironment(production.merging(["PDS_RATE_LIMITS_ENABLED": "true"]) { $1 })
                .rateLimits.enabled)
    }

    @Test func invalidAddressesAreReported() throws {
        let error = #expect(throws: PDSConfigurationError.self) {
            try PDSConfiguration.fromEnvironment([
                "PDS_DEV_MODE": "true", "PDS_RATE_LIMIT_BYPASS_IPS": "1.2.3.4/33", "PDS_TRUSTED_PROXIES": "proxy.local",
            ])
        }
        #expect(error?.problems.contains { $0.contains("PDS_RATE_LIMIT_BYPASS_IPS") } == true)
        #expect(error?.problems.contains { $0.contains("PDS_TRUSTED_PROXIES") } == true)
    }
}
