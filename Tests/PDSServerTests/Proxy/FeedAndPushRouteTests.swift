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

/// `app.bsky.feed.getFeed` and the push registrations on the router, against a live fake AppView: what it receives
/// (the unauthenticated record lookup, the service JWTs' `aud` and `lxm`, the forwarded body) and what the client gets.
/// (The Python SDK and a did:web push service run in `Tests/e2e/test_feed_push.py`.)
@Suite struct FeedAndPushRouteTests {
    static let appViewDID = "did:web:appview.example.com"
    static let generatorDID = "did:web:feedgen.example.com"

    /// What the fake AppView received.
    actor Recorder {
        struct Received: Sendable {
            var target: String
            var headers: HTTPFields
            var body: String
        }
        var requests: [Received] = []
        func record(_ request: Request) async throws {
            let target = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
            let body = try await request.body.collect(upTo: 1 << 20)
            requests.append(Received(target: target, headers: request.headers, body: String(buffer: body)))
        }
        func last(_ path: String) -> Received? { requests.last { $0.target.hasPrefix(path) } }
    }

    static func json(_ status: HTTPResponse.Status, _ text: String, _ extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func appView(_ recorder: Recorder) -> some ApplicationProtocol {
        let router = Router()
        router.get("/xrpc/com.atproto.repo.getRecord") { request, _ -> Response in
            try await recorder.record(request)
            switch request.uri.queryParameters.get("rkey") {
            case "hot":
                return json(
                    .ok, #"{"uri":"at://x","value":{"$type":"app.bsky.feed.generator","did":"\#(generatorDID)"}}"#)
            case "nodid": return json(.ok, #"{"uri":"at://x","value":{"$type":"app.bsky.feed.generator"}}"#)
            default: return json(.badRequest, #"{"error":"RecordNotFound","message":"Could not locate record"}"#)
            }
        }
        router.get("/xrpc/app.bsky.feed.getFeed") { request, _ -> Response in
            try await recorder.record(request)
            return json(.ok, #"{"feed":[],"cursor":"c1"}"#, [HTTPField.Name("atproto-repo-rev")!: "3krev"])
        }
        for method in ["registerPush", "unregisterPush"] {
            router.post("/xrpc/app.bsky.notification.\(method)") { request, _ -> Response in
                try await recorder.record(request)
                return Response(status: .ok)
            }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Runs `body` with the server proxying to a live fake AppView.
    static func withAppView(
        _ body: @escaping @Sendable (Recorder, PDSServices, XRPCTestClient, XRPCSession) async throws -> Void
    ) async throws {
        let recorder = Recorder()
        try await appView(recorder).test(.live) { upstream in
            let port = try #require(upstream.port)
            let environment = [
                "PDS_BSKY_APP_VIEW_URL": "http://127.0.0.1:\(port)", "PDS_BSKY_APP_VIEW_DID": appViewDID,
            ]
            try await TestApplication.withAccount(environment) { _, services, xrpc, session in
                try await body(recorder, services, xrpc, session)
                await services.upstreamClients.shutdown()
            }
        }
    }

    /// The claims of the service JWT in `headers`, checked against the account's signing key.
    static func claims(_ headers: HTTPFields, services: PDSServices, did: String) async throws -> JWTClaims {
        let authorization = try #require(headers[.authorization])
        let jwt = try JWT(compact: authorization.dropFirst("Bearer ".count))
        #expect(jwt.verify(key: try await services.actorStore.keypair(try DID(did)).publicKey))
        return jwt.claims
    }

    @Test func getFeedAddressesItsJWTToTheFeedGenerator() async throws {
        try await Self.withAppView { recorder, services, xrpc, session in
            let feed = "at%3A%2F%2Fdid%3Aplc%3Aabc%2Fapp.bsky.feed.generator%2Fhot"
            let reply = try await xrpc.call(
                "app.bsky.feed.getFeed", token: session.accessJwt, query: "feed=\(feed)&limit=5")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.text == #"{"feed":[],"cursor":"c1"}"#)
            #expect(reply.headers[HTTPField.Name("atproto-repo-rev")!] == "3krev")
            #expect(reply.headers[.cacheControl] == "private")

            let lookup = try #require(await recorder.last("/xrpc/com.atproto.repo.getRecord"))
            #expect(
                lookup.target == "/xrpc/com.atproto.repo.getRecord?repo=did%3Aplc%3Aabc"
                    + "&collection=app.bsky.feed.generator&rkey=hot")
            #expect(lookup.headers[.authorization] == nil)  // a public read, as the reference makes it

            let proxied = try #require(await recorder.last("/xrpc/app.bsky.feed.getFeed"))
            #expect(proxied.target == "/xrpc/app.bsky.feed.getFeed?feed=\(feed)&limit=5")
            let claims = try await Self.claims(proxied.headers, services: services, did: session.did)
            #expect(claims.iss == session.did && claims.aud == Self.generatorDID)
            #expect(claims.lxm == "app.bsky.feed.getFeedSkeleton")
        }
    }

    @Test func getFeedErrorsAreTheReferences() async throws {
        try await Self.withAppView { recorder, _, xrpc, session in
            let unknown = try await xrpc.call(
                "app.bsky.feed.getFeed", token: session.accessJwt,
                query: "feed=at://did:plc:abc/app.bsky.feed.generator/missing")
            #expect(unknown.status == .badRequest && unknown.error == "RecordNotFound", "\(unknown.text)")
            #expect(unknown.json["message"] as? String == "Could not locate record")

            let noDID = try await xrpc.call(
                "app.bsky.feed.getFeed", token: session.accessJwt,
                query: "feed=at://did:plc:abc/app.bsky.feed.generator/nodid")
            #expect(noDID.status == .badRequest && noDID.error == "UnknownFeed")
            #expect(noDID.json["message"] as? String == "could not resolve feed did")

            let anonymous = try await xrpc.call(
                "app.bsky.feed.getFeed", query: "feed=at://did:plc:abc/app.bsky.feed.generator/hot")
            #expect(anonymous.status == .unauthorized && anonymous.error == "AuthMissing")
            let badURI = try await xrpc.call("app.bsky.feed.getFeed", token: session.accessJwt, query: "feed=hot")
            #expect(badURI.status == .badRequest && badURI.error == "InvalidRequest")
            #expect(await recorder.last("/xrpc/app.bsky.feed.getFeed") == nil)
        }
    }

    @Test func pushRegistrationsForTheAppViewGoToIt() async throws {
        try await Self.withAppView { recorder, services, xrpc, session in
            for method in ["registerPush", "unregisterPush"] {
                let lxm = "app.bsky.notification.\(method)"
                let input: [String: Any] = [
                    "serviceDid": Self.appViewDID, "token": "device-token", "platform": "ios",
                    "appId": "xyz.blueskyweb.app",
                ]
                let reply = try await xrpc.call(lxm, token: session.accessJwt, json: input)
                #expect(reply.status == .ok, "\(reply.text)")
                #expect(reply.body.isEmpty)

                let received = try #require(await recorder.last("/xrpc/\(lxm)"))
                #expect(received.headers[.contentType] == "application/json")
                let body = try #require(
                    try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: String])
                #expect(body == input as? [String: String])
                let claims = try await Self.claims(received.headers, services: services, did: session.did)
                #expect(claims.iss == session.did && claims.aud == Self.appViewDID && claims.lxm == lxm)
            }
        }
    }

    @Test func pushRegistrationsAreCheckedBeforeTheyLeave() async throws {
        try await Self.withAppView { recorder, _, xrpc, session in
            let lxm = "app.bsky.notification.registerPush"
            let incomplete = try await xrpc.call(
                lxm, token: session.accessJwt, json: ["serviceDid": Self.appViewDID, "platform": "ios", "appId": "a"])
            #expect(incomplete.status == .badRequest && incomplete.error == "InvalidRequest")
            #expect(incomplete.json["message"] as? String == #"Input must have the property "token""#)

            let unknownDID = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
            let unresolvable = try await xrpc.call(
                lxm, token: session.accessJwt,
                json: ["serviceDid": unknownDID, "token": "t", "platform": "ios", "appId": "a"])
            #expect(unresolvable.status == .badRequest, "\(unresolvable.text)")
            #expect(unresolvable.json["message"] as? String == "could not resolve did document: \(unknownDID)")

            // An account's own DID document has no #bsky_notif service.
            let noService = try await xrpc.call(
                lxm, token: session.accessJwt,
                json: ["serviceDid": session.did, "token": "t", "platform": "ios", "appId": "a"])
            #expect(noService.status == .badRequest)
            #expect(
                noService.json["message"] as? String
                    == "invalid notification service details in did document: \(session.did)")
            #expect(await recorder.last("/xrpc/\(lxm)") == nil)
        }
    }

    @Test func withoutAnAppViewTheMethodsNameTheVariable() async throws {
        try await TestApplication.withAccount { _, _, xrpc, session in
            let feed = try await xrpc.call(
                "app.bsky.feed.getFeed", token: session.accessJwt,
                query: "feed=at://did:plc:abc/app.bsky.feed.generator/hot")
            let push = try await xrpc.call(
                "app.bsky.notification.registerPush", token: session.accessJwt,
                json: ["serviceDid": "did:web:push.example.com", "token": "t", "platform": "ios", "appId": "a"])
            for reply in [feed, push] {
                #expect(reply.status == .notImplemented && reply.error == "MethodNotImplemented")
                #expect((reply.json["message"] as? String)?.contains("PDS_BSKY_APP_VIEW_URL") == true, "\(reply.text)")
            }
        }
    }
}
