import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PDSTestSupport
import Testing

@testable import PDSServer

/// The read-after-write routes end to end against a live fake AppView whose `atproto-repo-rev` and answers a test
/// sets: untouched pass-through, munging with `Atproto-Upstream-Lag`, invalid answers passed through as read, and
/// the locally made thread on `NotFound`.
@Suite struct ReadAfterWriteRouteTests {
    /// What the fake AppView answers.
    actor AppView {
        var rev: String?
        var timeline = #"{"feed":[]}"#
        func set(rev: String?, timeline: String? = nil) {
            self.rev = rev
            if let timeline { self.timeline = timeline }
        }
    }

    static func upstream(_ state: AppView) -> some ApplicationProtocol {
        let router = Router()
        router.get("/xrpc/app.bsky.feed.getTimeline") { _, _ -> Response in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let rev = await state.rev { headers[HTTPField.Name("atproto-repo-rev")!] = rev }
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: await state.timeline)))
        }
        router.get("/xrpc/app.bsky.feed.getPostThread") { _, _ -> Response in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let rev = await state.rev { headers[HTTPField.Name("atproto-repo-rev")!] = rev }
            return Response(
                status: .badRequest, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"NotFound","message":"Post not found"}"#)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func post(_ text: String) -> [String: Any] {
        ["$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-01T00:00:00.000Z"]
    }

    @Test func theAppViewsAnswerIsPatchedOnlyWhenItIsBehind() async throws {
        let state = AppView()
        try await Self.upstream(state).test(.live) { upstream in
            let port = try #require(upstream.port)
            let environment = [
                "PDS_BSKY_APP_VIEW_URL": "http://127.0.0.1:\(port)",
                "PDS_BSKY_APP_VIEW_DID": "did:web:appview.example.com",
            ]
            try await TestApplication.withAccount(environment) { _, services, xrpc, session in
                let first = try await xrpc.createRecord(session, record: Self.post("first")).decode(
                    XRPCWriteOutput.self)
                let rev = try #require(first.commit?.rev)

                // No revision header: the answer is forwarded as it came.
                let plain = try await xrpc.call("app.bsky.feed.getTimeline", token: session.accessJwt)
                #expect(plain.status == .ok)
                #expect(plain.text == #"{"feed":[]}"#)
                #expect(plain.headers[ReadAfterWrite.upstreamLagHeader] == nil)

                // Up to date: nothing to patch in.
                await state.set(rev: rev)
                let current = try await xrpc.call("app.bsky.feed.getTimeline", token: session.accessJwt)
                #expect(current.text == #"{"feed":[]}"#)
                #expect(current.headers[HTTPField.Name("atproto-repo-rev")!] == rev)

                // Behind: the newer post is patched in, with the lag.
                let second = try await xrpc.createRecord(session, record: Self.post("second")).decode(
                    XRPCWriteOutput.self)
                let munged = try await xrpc.call("app.bsky.feed.getTimeline", token: session.accessJwt)
                #expect(munged.status == .ok)
                let feed = try #require(munged.json["feed"] as? [[String: Any]])
                #expect(feed.compactMap { ($0["post"] as? [String: Any])?["uri"] as? String } == [second.uri])
                let author = try #require((feed.first?["post"] as? [String: Any])?["author"] as? [String: Any])
                #expect(author["did"] as? String == session.did && author["handle"] as? String == session.handle)
                #expect(Int(munged.headers[ReadAfterWrite.upstreamLagHeader] ?? "") ?? -1 >= 0)
                #expect(munged.headers[.cacheControl] == "private")

                // An answer that is not the method's output is passed through as read.
                let invalid = #"{"feed":"not a list"}"#
                await state.set(rev: rev, timeline: invalid)
                let passed = try await xrpc.call("app.bsky.feed.getTimeline", token: session.accessJwt)
                #expect(passed.status == .ok)
                #expect(passed.text == invalid)
                #expect(passed.headers[ReadAfterWrite.upstreamLagHeader] == nil)

                // A post the AppView does not know yet is shown as a thread made locally; someone else's is not.
                let thread = try await xrpc.call(
                    "app.bsky.feed.getPostThread", token: session.accessJwt,
                    query: "uri=" + second.uri.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                #expect(thread.status == .ok, "\(thread.text)")
                let post = try #require((thread.json["thread"] as? [String: Any])?["post"] as? [String: Any])
                #expect(post["uri"] as? String == second.uri)
                #expect(thread.headers[ReadAfterWrite.upstreamLagHeader] != nil)
                let byHandle = try await xrpc.call(
                    "app.bsky.feed.getPostThread", token: session.accessJwt,
                    query: "uri=at://\(session.handle)/app.bsky.feed.post/\(second.rkey)")
                #expect(byHandle.status == .ok, "\(byHandle.text)")
                let other = try await xrpc.call(
                    "app.bsky.feed.getPostThread", token: session.accessJwt,
                    query: "uri=at://did:plc:someoneelseeeeeeeeeeeeee/app.bsky.feed.post/3kabc")
                #expect(other.status == .badRequest && other.error == "NotFound")

                let anonymous = try await xrpc.call("app.bsky.feed.getTimeline")
                #expect(anonymous.status == .unauthorized)
                await services.upstreamClients.shutdown()
            }
        }
    }
}
