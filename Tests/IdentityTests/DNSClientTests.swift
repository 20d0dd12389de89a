import Foundation
import Testing

@testable import Identity

@Suite struct DNSClientTests {
    @Test func queryEncoding() throws {
        let query = try DNSMessage.query(id: 0x1234, name: "_atproto.alice.test.", type: DNSMessage.typeTXT)
        #expect(Array(query[0..<12]) == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(
            Array(query[12...]) == [8] + Array("_atproto".utf8) + [5] + Array("alice".utf8) + [4] + Array("test".utf8)
                + [0, 0, 16, 0, 1])
        #expect(throws: IdentityError.self) { try DNSMessage.encodeName("a..b") }
        #expect(throws: IdentityError.self) { try DNSMessage.encodeName(String(repeating: "a", count: 64) + ".test") }
    }

    @Test func malformedResponsesAreRejected() {
        #expect(throws: IdentityError.self) { try DNSMessage.parse([0x12]) }
        // A query (QR = 0) is not a response.
        #expect(throws: IdentityError.self) { try DNSMessage.parse([0, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }
        // An answer count with no answers is truncated.
        #expect(throws: IdentityError.self) { try DNSMessage.parse([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0]) }
        #expect(throws: IdentityError.self) { try DNSMessage.txtValue([5, 0x61]) }
    }

    @Test func resolvConfParsing() {
        let servers = DNSServerAddress.parseResolvConf(
            """
            # comment
            search example.com
            nameserver 10.0.0.2
            nameserver   2001:4860:4860::8888
            nameserver fe80::1%eth0
            options ndots:1
            """)
        #expect(servers.map(\.description) == ["10.0.0.2:53", "[2001:4860:4860::8888]:53"])
        #expect(DNSServerAddress("127.0.0.1:5353")?.port == 5353)
        #expect(DNSServerAddress("[::1]:5300")?.description == "[::1]:5300")
        #expect(DNSServerAddress("example.com") == nil)
        #expect(HandleResolver.Configuration.parseNameservers("1.1.1.1, 8.8.8.8:53")?.count == 2)
        #expect(HandleResolver.Configuration.parseNameservers("1.1.1.1,nope") == nil)
    }

    @Test func txtLookupOverUDP() async throws {
        let server = try LocalDNSServer(records: [
            "_atproto.alice.test": [["did=did:plc:alice"]],
            "multi.test": [["part one ", "part two"], ["second"]],
        ])
        defer { server.stop() }
        let client = DNSClient(nameservers: [server.address], timeout: .seconds(20))
        #expect(try await client.txt("_atproto.alice.test") == ["did=did:plc:alice"])
        #expect(try await client.txt("multi.test") == ["part one part two", "second"])
        #expect(try await client.txt("missing.test") == [])
    }

    @Test func truncatedAnswerIsRetriedOverTCP() async throws {
        let long = String(repeating: "x", count: 200)
        let server = try LocalDNSServer(
            records: ["big.test": [["did=did:plc:big"], [long], [long]]], truncatedOverUDP: ["big.test"])
        defer { server.stop() }
        let client = DNSClient(nameservers: [server.address], timeout: .seconds(20))
        #expect(try await client.txt("big.test") == ["did=did:plc:big", long, long])
        #expect(server.askedNames == ["big.test", "big.test"])
    }

    @Test func unansweredQueryTimesOut() async throws {
        let server = try LocalDNSServer(records: [:], silent: ["slow.test"])
        defer { server.stop() }
        let client = DNSClient(nameservers: [server.address], timeout: .milliseconds(300))
        // The server never answers: only the deadline can end the query. (No elapsed-time assertion: tests run in
        // parallel on a loaded machine.)
        await #expect {
            _ = try await client.txt("slow.test")
        } throws: { error in
            guard case IdentityError.timedOut = error else { return false }
            return true
        }
    }

    @Test func nextNameserverIsTriedAfterAFailure() async throws {
        let failing = try LocalDNSServer(records: [:], servfail: true)
        defer { failing.stop() }
        let live = try LocalDNSServer(records: ["_atproto.bob.test": [["did=did:plc:bob"]]])
        defer { live.stop() }
        let client = DNSClient(nameservers: [failing.address, live.address], timeout: .seconds(20))
        #expect(try await client.txt("_atproto.bob.test") == ["did=did:plc:bob"])
        #expect(failing.askedNames == ["_atproto.bob.test"])
        await #expect(throws: IdentityError.dns("\(failing.address) answered rcode 2 for x.test")) {
            try await DNSClient(nameservers: [failing.address], timeout: .seconds(2)).txt("x.test")
        }
    }
}
