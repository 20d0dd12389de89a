import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// `PDS_METRICS_*`: `/metrics` on the main port, behind the token, with counters that move under load. Each test's
/// services have their own registry (no process-wide bootstrap).
@Suite struct MetricsEndpointTests {
    static let token = "metrics-test-token-0123456789"
    static let environment = ["PDS_METRICS_ENABLED": "true", "PDS_METRICS_TOKEN": token]

    /// Scrapes `/metrics` with the token and parses the samples (`name{labels}` → value).
    static func scrape(_ client: XRPCTestClient) async throws -> [String: Double] {
        try await client.client.execute(
            uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"]
        ) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            return parse(String(buffer: response.body))
        }
    }

    /// The samples of a Prometheus text exposition.
    static func parse(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func countersMoveUnderALoadOfWrites() async throws {
        try await TestApplication.withAccount(Self.environment) { _, _, xrpc, session in
            let before = try await Self.scrape(xrpc)
            for index in 0..<5 {
                let reply = try await xrpc.createRecord(session, record: XRPCTestClient.post("post \(index)"))
                #expect(reply.status == .ok)
            }
            let missing = try await xrpc.call("com.example.notAMethod\(UUID().uuidString.prefix(6))")
            let missingClass = "\(missing.status.code / 100)xx"
            let after = try await Self.scrape(xrpc)

            let created = #"pds_http_requests_total{endpoint="com.atproto.repo.createRecord",status="2xx"}"#
            #expect((after[created] ?? 0) - (before[created] ?? 0) == 5)
            let latency =
                #"pds_http_request_duration_seconds_count{endpoint="com.atproto.repo.createRecord",status="2xx"}"#
            #expect((after[latency] ?? 0) - (before[latency] ?? 0) == 5)
            // Unknown method names share one label value.
            #expect(after[#"pds_http_requests_total{endpoint="unknown",status=""# + missingClass + #""}"#] == 1)
            #expect(!after.keys.contains { $0.contains("com.example.notAMethod") })

            #expect(after["pds_sequencer_head_seq"]! >= before["pds_sequencer_head_seq"]! + 5)
            #expect(after["pds_sequencer_batch_size_count"]! >= before["pds_sequencer_batch_size_count"]! + 1)
            #expect(after["pds_actor_handle_cache_hits_total"]! > before["pds_actor_handle_cache_hits_total"] ?? 0)
            #expect(after["pds_actor_handle_cache_open_handles"]! >= 1)
            #expect(after["process_open_fds"]! > 0)
            #expect(after["pds_firehose_subscribers"] == 0)
        }
    }

    @Test func uploadsCountTheirBytes() async throws {
        try await TestApplication.withAccount(Self.environment) { _, _, xrpc, session in
            let bytes = [UInt8](repeating: 7, count: 1234)
            let reply = try await xrpc.send(
                "com.atproto.repo.uploadBlob", method: .post,
                headers: [.authorization: "Bearer \(session.accessJwt)", .contentType: "application/octet-stream"],
                body: bytes)
            #expect(reply.status == .ok)
            let samples = try await Self.scrape(xrpc)
            #expect(samples["pds_blob_uploaded_bytes_total"] == 1234)
        }
    }

    @Test func theTokenIsRequired() async throws {
        try await TestApplication.withAccount(Self.environment) { _, _, xrpc, _ in
            let attempts: [HTTPFields] = [
                [:], [.authorization: "Bearer wrong"], [.authorization: "Basic \(Self.token)"],
            ]
            for headers in attempts {
                try await xrpc.client.execute(uri: "/metrics", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(!String(buffer: response.body).contains("pds_http_requests_total"))
                }
            }
        }
    }

    @Test func offByDefault() async throws {
        try await TestApplication.withAccount { _, services, xrpc, _ in
            #expect(!services.metrics.isEnabled)
            try await xrpc.client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func aSeparatePortTakesItOffTheMainOne() async throws {
        let port = 20000 + Int.random(in: 0..<20000)
        try await TestApplication.withAccount(["PDS_METRICS_ENABLED": "true", "PDS_METRICS_PORT": "\(port)"]) {
            _, services, xrpc, _ in
            #expect(services.configuration.metrics.port == port)
            try await xrpc.client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func everyResponseCarriesItsRequestID() async throws {
        try await TestApplication.withAccount { _, _, xrpc, session in
            let ok = try await xrpc.call("com.atproto.server.getSession", token: session.accessJwt)
            let refused = try await xrpc.call("com.atproto.server.getSession")
            let missing = try await xrpc.call("com.example.nothing")
            var ids: Set<String> = []
            for reply in [ok, refused, missing] {
                let id = try #require(reply.headers[HTTPField.Name("x-request-id")!])
                #expect(id.count >= 16)
                ids.insert(id)
            }
            #expect(ids.count == 3)
            #expect(refused.status == .unauthorized)
        }
    }

    @Test func endpointLabelsAreBounded() {
        #expect(RequestMetricsMiddleware<PDSRequestContext>.endpoint(path: "/xrpc/com.atproto.repo.createRecord")
            == "com.atproto.repo.createRecord")
        #expect(RequestMetricsMiddleware<PDSRequestContext>.endpoint(path: "/xrpc/app.bsky.feed.getTimeline")
            == "app.bsky.feed.getTimeline")
        #expect(RequestMetricsMiddleware<PDSRequestContext>.endpoint(path: "/xrpc/x.y.z\(UUID())") == "unknown")
        #expect(RequestMetricsMiddleware<PDSRequestContext>.endpoint(path: "/xrpc/_health") == "_health")
        #expect(RequestMetricsMiddleware<PDSRequestContext>.endpoint(path: "/.well-known/did.json") == "/.well-known")
        #expect(RequestMetricsMiddleware<PDSRequestContext>.endpoint(path: "/anything/\(UUID())") == "other")
    }
}
