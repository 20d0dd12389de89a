import ATCore
import HTTPTypes
import Testing

@testable import Identity
@testable import PDSServer

/// How the proxy picks its upstream: the `atproto-proxy` header (with the reference's checks and messages) or the
/// method's default service.
@Suite struct ProxyTargetResolverTests {
    static let appView = PDSConfiguration.ServiceEndpoint(
        url: "https://api.example.com/base", did: "did:web:api.example.com")
    static let mod = PDSConfiguration.ServiceEndpoint(url: "https://mod.example.com", did: "did:plc:mod")
    static let report = PDSConfiguration.ServiceEndpoint(url: "http://127.0.0.1:8099", did: "did:plc:report")

    static let chatDocument = DIDDocument(
        id: try! DID("did:web:chat.example.com"), alsoKnownAs: [], verificationMethod: [],
        service: [
            .init(id: "#bsky_chat", type: "BskyChatService", serviceEndpoint: "https://chat.example.com:8443/x"),
            .init(id: "did:web:chat.example.com#other", type: "Other", serviceEndpoint: "https://other.example.com"),
            .init(id: "#broken", type: "Broken", serviceEndpoint: "ftp://chat.example.com"),
        ])

    func resolver(
        appView: PDSConfiguration.ServiceEndpoint? = appView, mod: PDSConfiguration.ServiceEndpoint? = mod,
        report: PDSConfiguration.ServiceEndpoint? = report
    ) -> ProxyTargetResolver {
        ProxyTargetResolver(
            downstream: .init(appView: appView, modService: mod, reportService: report),
            didDocument: { did in did.rawValue == "did:web:chat.example.com" ? Self.chatDocument : nil })
    }

    @Test func defaultsFollowTheReferenceRouting() async throws {
        let targets = resolver()
        #expect(
            try await targets.target(for: "app.bsky.actor.getProfile", header: nil)
                == ProxyTarget(
                    did: "did:web:api.example.com", serviceId: "bsky_appview", origin: "https://api.example.com"))
        #expect(
            try await targets.target(for: "tools.ozone.moderation.queryEvents", header: nil)
                == ProxyTarget(did: "did:plc:mod", serviceId: "atproto_labeler", origin: "https://mod.example.com"))
        #expect(
            try await targets.target(for: "com.atproto.moderation.createReport", header: nil)
                == ProxyTarget(did: "did:plc:report", serviceId: "atproto_labeler", origin: "http://127.0.0.1:8099"))
        // An ozone method the reference does not list goes to the AppView.
        #expect(try await targets.target(for: "tools.ozone.server.getConfig", header: nil).serviceId == "bsky_appview")
    }

    @Test func missingServiceNamesItsVariable() async throws {
        let targets = resolver(appView: nil, mod: nil, report: nil)
        for (lxm, variable) in [
            ("app.bsky.actor.getProfile", "PDS_BSKY_APP_VIEW_URL"),
            ("tools.ozone.team.listMembers", "PDS_MOD_SERVICE_URL"),
            ("com.atproto.moderation.createReport", "PDS_REPORT_SERVICE_URL"),
        ] {
            await #expect {
                try await targets.target(for: lxm, header: nil)
            } throws: { error in
                guard let refusal = error as? PipethroughError,
                    case .noServiceConfigured(let method, let name) = refusal
                else { return false }
                return method == lxm && name == variable
                    && XRPCError.mapping(error)?.message?.contains(variable) == true
            }
        }
    }

    @Test func headerNamesAServiceOfADIDDocument() async throws {
        let targets = resolver()
        #expect(
            try await targets.target(for: "chat.bsky.convo.listConvos", header: "did:web:chat.example.com#bsky_chat")
                == ProxyTarget(
                    did: "did:web:chat.example.com", serviceId: "bsky_chat", origin: "https://chat.example.com:8443"))
        #expect(
            try await targets.target(for: "x.y.z", header: "did:web:chat.example.com#other").origin
                == "https://other.example.com")
        // The configured AppView is used without resolving its DID.
        #expect(
            try await targets.target(for: "app.bsky.feed.getTimeline", header: "did:web:api.example.com#bsky_appview")
                .origin == "https://api.example.com")
    }

    @Test(arguments: [
        ("#bsky_chat", "no did specified in proxy header"),
        ("did:web:chat.example.com", "no service id specified in proxy header"),
        ("did:web:chat.example.com#", "no service id specified in proxy header"),
        ("did:web:chat.example.com#a#b", "invalid proxy header format"),
        ("did:web:chat.example.com #bsky_chat", "proxy header cannot contain spaces"),
        ("did:web:unknown.example.com#bsky_chat", "could not resolve proxy did"),
        ("not-a-did#bsky_chat", "could not resolve proxy did"),
        ("did:web:chat.example.com#missing", "could not resolve proxy did service url"),
        ("did:web:chat.example.com#broken", "could not resolve proxy did service url"),
    ])
    func badHeadersAreInvalidRequests(header: String, message: String) async throws {
        await #expect {
            try await resolver().target(for: "app.bsky.actor.getProfile", header: header)
        } throws: { error in
            let mapped = XRPCError.mapping(error)
            return mapped?.status == .badRequest && mapped?.name == "InvalidRequest" && mapped?.message == message
        }
    }

    @Test func originDropsPathsAndKeepsPorts() {
        #expect(ProxyTarget.origin(of: "https://a.example.com/x/y?z") == "https://a.example.com")
        #expect(ProxyTarget.origin(of: "HTTP://127.0.0.1:2583") == "http://127.0.0.1:2583")
        #expect(ProxyTarget.origin(of: "https://[::1]:8443/") == "https://[::1]:8443")
        #expect(ProxyTarget.origin(of: "wss://a.example.com") == nil)
        #expect(ProxyTarget.origin(of: "not a url") == nil)
    }

    @Test func methodSetsAreCaseInsensitiveWhereTheReferenceIs() {
        #expect(XRPCMethodSets.isProtected("com.atproto.server.GETSESSION"))
        #expect(XRPCMethodSets.isPrivileged("chat.bsky.convo.SendMessage"))
        #expect(!XRPCMethodSets.isPrivileged("chat.bsky.convo.getConvoAvailability"))
        #expect(!XRPCMethodSets.isProxied("com.atproto.server.requestPasswordReset"))
        #expect(XRPCMethodSets.isProxied("com.atproto.sync.listReposByCollection"))
        #expect(XRPCMethodSets.isProxied("app.bsky.actor.getProfile"))
    }
}
