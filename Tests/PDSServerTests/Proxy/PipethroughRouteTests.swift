import ATCore
import Foundation
import HTTPTypes
import PDSTestSupport
import Testing

@testable import PDSServer

/// The proxy's refusals, on the router: what is answered before any upstream is called, and what an unreachable or
/// forbidden upstream gives. (The forwarding itself runs against real fake services in `Tests/e2e/test_proxy.py`.)
@Suite struct PipethroughRouteTests {
    static let appView = [
        "PDS_BSKY_APP_VIEW_URL": "http://127.0.0.1:9", "PDS_BSKY_APP_VIEW_DID": "did:web:appview.example.com",
    ]

    @Test func withoutAnAppViewProxiedMethodsNameTheVariable() async throws {
        try await TestApplication.withAccount { _, _, xrpc, session in
            let reply = try await xrpc.call(
                "app.bsky.actor.getProfile", token: session.accessJwt, query: "actor=\(session.did)")
            #expect(reply.status == .notImplemented)
            #expect(reply.error == "MethodNotImplemented")
            #expect((reply.json["message"] as? String)?.contains("PDS_BSKY_APP_VIEW_URL") == true, "\(reply.text)")
        }
    }

    @Test func proxiedMethodsNeedASession() async throws {
        try await TestApplication.withAccount(Self.appView) { _, _, xrpc, _ in
            let anonymous = try await xrpc.call("app.bsky.actor.getProfile", query: "actor=alice.test")
            #expect(anonymous.status == .unauthorized && anonymous.error == "AuthMissing")
            let forged = try await xrpc.call("app.bsky.actor.getProfile", token: "a.b.c", query: "actor=alice.test")
            #expect(forged.status == .badRequest && forged.error == "InvalidToken")
        }
    }

    @Test func protectedMethodsAreNeverProxied() async throws {
        try await TestApplication.withAccount(Self.appView) { _, _, xrpc, session in
            for nsid in ["com.atproto.server.GETSESSION", "com.atproto.identity.updatehandle"] {
                let reply = try await xrpc.call(nsid, method: .post, token: session.accessJwt)
                #expect(reply.status == .badRequest, "\(nsid)")
                #expect(reply.error == "InvalidToken" && reply.json["message"] as? String == "Bad token method")
            }
        }
    }

    @Test func privilegedMethodsRefuseNonPrivilegedAppPasswords() async throws {
        try await TestApplication.withAccount(Self.appView) { _, services, xrpc, session in
            let did = try DID(session.did)
            let appPassword = try services.tokens.createAccessToken(did: did, scope: .appPass)
            let headers: HTTPFields = [HTTPField.Name("atproto-proxy")!: "did:web:chat.example.com#bsky_chat"]
            let refused = try await xrpc.call(
                "chat.bsky.convo.listConvos", token: appPassword, headers: headers)
            #expect(refused.status == .badRequest && refused.error == "InvalidToken")
            #expect(refused.json["message"] as? String == "Bad token method")
            // A non-privileged method goes through to the upstream (unreachable here) with the same token.
            let allowed = try await xrpc.call("app.bsky.actor.getProfile", token: appPassword, query: "actor=a.test")
            #expect(allowed.status == .badGateway && allowed.error == "UpstreamFailure", "\(allowed.text)")
            // Taken-down tokens are not accepted by the catch-all.
            let takendown = try services.tokens.createAccessToken(did: did, scope: .takendown)
            let refusedTakendown = try await xrpc.call(
                "app.bsky.actor.getProfile", token: takendown, query: "actor=a.test")
            #expect(refusedTakendown.error == "InvalidToken")
            await services.upstreamClients.shutdown()
        }
    }

    @Test func unreachableUpstreamIsUpstreamFailure() async throws {
        try await TestApplication.withAccount(Self.appView) { _, services, xrpc, session in
            let reply = try await xrpc.call(
                "app.bsky.feed.getTimeline", token: session.accessJwt, query: "limit=1")
            #expect(reply.status == .badGateway)
            #expect(reply.error == "UpstreamFailure")
            #expect(reply.json["message"] as? String == "Upstream service unreachable")
            #expect(services.upstreamClients.originCount == 1)
            await services.upstreamClients.shutdown()
        }
    }

    @Test func ssrfGuardRefusesPlainHTTPAndPrivateAddresses() async throws {
        for url in ["http://api.example.com", "https://127.0.0.1:9", "https://[::1]:9", "https://10.1.2.3"] {
            var environment = Self.appView
            environment["PDS_BSKY_APP_VIEW_URL"] = url
            environment["PDS_DISABLE_SSRF_PROTECTION"] = "false"
            try await TestApplication.withAccount(environment) { _, services, xrpc, session in
                let reply = try await xrpc.call(
                    "app.bsky.actor.getProfile", token: session.accessJwt, query: "actor=a.test")
                #expect(reply.status == .badGateway && reply.error == "UpstreamFailure", "\(url): \(reply.text)")
                #expect(services.upstreamClients.originCount == 0, "\(url): no client was made")
                await services.upstreamClients.shutdown()
            }
        }
    }

    @Test func methodsTheReferenceServesItselfAreNotProxied() async throws {
        try await TestApplication.withAccount(Self.appView) { _, services, xrpc, session in
            // Served here, so answered here (an account's token is not the admin password), never proxied.
            let reply = try await xrpc.call(
                "com.atproto.admin.deleteAccount", token: session.accessJwt, json: ["did": session.did])
            #expect(reply.status == .unauthorized, "\(reply.text)")
            #expect(services.upstreamClients.originCount == 0)
            let put = try await xrpc.call("app.bsky.graph.getFollows", method: .put, token: session.accessJwt)
            #expect(
                put.status == .badRequest
                    && put.json["message"] as? String == "XRPC requests only supports GET and POST")
            // A method served here (read-after-write) is refused as the reference's xrpc-server refuses it.
            let served = try await xrpc.call("app.bsky.actor.getProfile", method: .put, token: session.accessJwt)
            #expect(
                served.status == .badRequest
                    && served.json["message"] as? String == "Incorrect HTTP method (PUT) expected GET")
        }
    }
}
