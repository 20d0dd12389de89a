import ATCore
import Foundation
import NIOCore
import Testing

@testable import Identity
@testable import PDSServer

/// The pure pieces of `getFeed` and the push registrations: the query of a call this server builds, the generator DID
/// of a `getRecord` answer, the `#bsky_notif` service of a DID document, and the errors' reference messages.
@Suite struct FeedAndPushLogicTests {
    @Test func builtCallsPercentEncodeTheirParameters() {
        #expect(
            Pipethrough.xrpcPath("com.atproto.repo.getRecord", parameters: []) == "/xrpc/com.atproto.repo.getRecord")
        #expect(
            Pipethrough.xrpcPath(
                "com.atproto.repo.getRecord",
                parameters: [
                    ("repo", "did:plc:abc"), ("collection", "app.bsky.feed.generator"), ("rkey", "a b&c=d/é~"),
                ])
                == "/xrpc/com.atproto.repo.getRecord?repo=did%3Aplc%3Aabc&collection=app.bsky.feed.generator"
                + "&rkey=a%20b%26c%3Dd%2F%C3%A9~")
    }

    @Test func theGeneratorDIDIsTheRecordsDidField() throws {
        let record =
            #"{"uri":"at://did:plc:abc/app.bsky.feed.generator/hot","cid":"bafy","#
            + #""value":{"$type":"app.bsky.feed.generator","did":"did:web:feeds.example.com","displayName":"Hot"}}"#
        #expect(
            try FeedProxy.generatorDID(inGetRecordOutput: ByteBuffer(string: record)) == "did:web:feeds.example.com")

        for noDID in [#"{"value":{}}"#, #"{"value":{"did":7}}"#, #"{"value":{"did":null}}"#] {
            #expect(throws: XRPCError.invalidRequest("could not resolve feed did", name: "UnknownFeed")) {
                try FeedProxy.generatorDID(inGetRecordOutput: ByteBuffer(string: noDID))
            }
        }
        for broken in ["", "not json", "[]", #"{"value":"did:web:x"}"#, #"{"uri":"at://x"}"#] {
            #expect(throws: XRPCError.upstreamFailure("Invalid getRecord response from the AppView")) {
                try FeedProxy.generatorDID(inGetRecordOutput: ByteBuffer(string: broken))
            }
        }
    }

    static func document(_ services: [DIDDocument.Service]) -> DIDDocument {
        DIDDocument(
            id: try! DID("did:web:push.example.com"), alsoKnownAs: [], verificationMethod: [], service: services)
    }

    @Test func theNotificationServiceIsPickedByIdAndType() {
        let service = DIDDocument.Service(
            id: "#bsky_notif", type: "BskyNotificationService", serviceEndpoint: "https://push.example.com:8443/base")
        #expect(PushForwarder.notificationOrigin(in: Self.document([service])) == "https://push.example.com:8443")
        var fullId = service
        fullId.id = "did:web:push.example.com#bsky_notif"
        #expect(PushForwarder.notificationOrigin(in: Self.document([fullId])) == "https://push.example.com:8443")

        var otherDID = service
        otherDID.id = "did:web:other.example.com#bsky_notif"
        var wrongType = service
        wrongType.type = "BskyAppView"
        var notHTTP = service
        notHTTP.serviceEndpoint = "wss://push.example.com"
        let appView = DIDDocument.Service(
            id: "#bsky_appview", type: "BskyAppView", serviceEndpoint: "https://api.example.com")
        for services in [[], [appView], [otherDID], [wrongType], [notHTTP], [wrongType, service]] {
            #expect(PushForwarder.notificationOrigin(in: Self.document(services)) == nil, "\(services)")
        }
    }

    @Test func pushServiceErrorsCarryTheReferenceMessages() {
        let did = "did:web:push.example.com"
        let cases: [(PushServiceError, XRPCError)] = [
            (
                .invalidDocument(did: did, cause: IdentityError.invalidDIDDocument("x")),
                .invalidRequest("invalid did document: \(did)")
            ),
            (.documentNotFound(did: did), .invalidRequest("could not resolve did document: \(did)")),
            (
                .unresolvable(did: did, cause: IdentityError.network("refused")),
                .upstreamFailure("could not resolve did document: \(did)")
            ),
            (
                .noNotificationService(did: did),
                .invalidRequest("invalid notification service details in did document: \(did)")
            ),
        ]
        for (error, expected) in cases {
            #expect(XRPCError.mapping(error) == expected)
        }
    }

    @Test func theAppViewTargetIgnoresProxyHeadersAndNeedsConfiguration() throws {
        let appView = PDSConfiguration.ServiceEndpoint(url: "https://api.example.com/x", did: "did:web:api.example.com")
        let resolver = ProxyTargetResolver(
            downstream: .init(appView: appView, modService: nil, reportService: nil), didDocument: { _ in nil })
        #expect(
            try resolver.appView(for: "app.bsky.feed.getFeed")
                == ProxyTarget(
                    did: "did:web:api.example.com", serviceId: "bsky_appview", origin: "https://api.example.com"))
        let none = ProxyTargetResolver(
            downstream: .init(appView: nil, modService: nil, reportService: nil), didDocument: { _ in nil })
        #expect {
            try none.appView(for: "app.bsky.notification.registerPush")
        } throws: { error in
            guard case .noServiceConfigured(let lxm, let variable)? = error as? PipethroughError else { return false }
            return lxm == "app.bsky.notification.registerPush" && variable == "PDS_BSKY_APP_VIEW_URL"
        }
    }
}
