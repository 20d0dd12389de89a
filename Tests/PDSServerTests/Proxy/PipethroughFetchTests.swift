import ATCore
import ATCrypto
import ActorStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PDSTestSupport
import Testing

@testable import PDSServer

/// The local-handler entry point (``Pipethrough/fetch(_:caller:lxm:audience:serviceLXM:)``) against a live upstream:
/// what a handler such as `getFeed` gets back, and what the upstream receives.
@Suite struct PipethroughFetchTests {
    /// What the fake upstream received.
    actor Recorder {
        var requests: [(target: String, headers: HTTPFields)] = []
        func record(_ request: Request) {
            let target = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
            requests.append((target, request.headers))
        }
    }

    static func upstream(_ recorder: Recorder) -> some ApplicationProtocol {
        let router = Router()
        router.get("/xrpc/app.bsky.feed.getFeed") { request, _ -> Response in
            await recorder.record(request)
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("atproto-repo-rev")!] = "3krev"
            headers[HTTPField.Name("x-private")!] = "kept upstream"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"feed":[]}"#)))
        }
        router.get("/xrpc/app.bsky.feed.getPostThread") { request, _ -> Response in
            await recorder.record(request)
            return Response(
                status: .badRequest, headers: [.contentType: "application/json", .retryAfter: "9"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"NotFound","message":"Post not found"}"#)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func request(_ target: String) -> Request {
        let head = HTTPRequest(
            method: .get, scheme: "http", authority: "localhost", path: target,
            headerFields: [.acceptEncoding: "gzip", .acceptLanguage: "fr", .cookie: "c=1"])
        return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
    }

    @Test func fetchHandsTheUpstreamAnswerToTheHandler() async throws {
        let recorder = Recorder()
        try await Self.upstream(recorder).test(.live) { upstream in
            let port = try #require(upstream.port)
            let environment = [
                "PDS_BSKY_APP_VIEW_URL": "http://127.0.0.1:\(port)",
                "PDS_BSKY_APP_VIEW_DID": "did:web:appview.example.com",
            ]
            try await TestApplication.withAccount(environment) { _, services, _, session in
                let did = try DID(session.did)
                let answer = try await services.pipethrough.fetch(
                    Self.request("/xrpc/app.bsky.feed.getFeed?feed=at%3A%2F%2Fx&limit=2"), caller: did,
                    lxm: "app.bsky.feed.getFeed", audience: "did:web:feedgen.example.com",
                    serviceLXM: "app.bsky.feed.getFeedSkeleton")
                #expect(answer.status == .ok)
                #expect(answer.headers[HTTPField.Name("atproto-repo-rev")!] == "3krev")
                #expect(answer.headers[HTTPField.Name("x-private")!] == nil)
                #expect(String(buffer: try await answer.collect(upTo: 1024)) == #"{"feed":[]}"#)

                let received = try #require(await recorder.requests.last)
                #expect(received.target == "/xrpc/app.bsky.feed.getFeed?feed=at%3A%2F%2Fx&limit=2")
                #expect(received.headers[.acceptEncoding] == "identity")
                #expect(received.headers[.acceptLanguage] == "fr")
                #expect(received.headers[.cookie] == nil)
                let authorization = try #require(received.headers[.authorization])
                let jwt = try JWT(compact: authorization.dropFirst("Bearer ".count))
                #expect(jwt.claims.iss == session.did && jwt.claims.aud == "did:web:feedgen.example.com")
                #expect(jwt.claims.lxm == "app.bsky.feed.getFeedSkeleton")
                #expect(jwt.verify(key: try await services.actorStore.keypair(did).publicKey))

                await #expect(
                    throws: UpstreamError(
                        status: 400, error: "NotFound", message: "Post not found",
                        headers: [.retryAfter: "9"])
                ) {
                    try await services.pipethrough.fetch(
                        Self.request("/xrpc/app.bsky.feed.getPostThread?uri=x"), caller: did,
                        lxm: "app.bsky.feed.getPostThread")
                }
                await services.upstreamClients.shutdown()
            }
        }
    }
}
