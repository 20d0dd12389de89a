import ATCore
import ATCrypto
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@testable import PDSServer

/// The header lists the proxy forwards, and how upstream error answers become the client's.
@Suite struct ProxyHeadersTests {
    @Test func requestHeadersAreTheReferenceList() {
        var client = HTTPFields()
        client[.acceptLanguage] = "fr, en;q=0.5"
        client[HTTPField.Name("atproto-accept-labelers")!] = "did:plc:a;redact"
        client[HTTPField.Name("x-bsky-topics")!] = "dev"
        client[.contentType] = "application/json"
        client[.contentEncoding] = "gzip"
        client[.authorization] = "Bearer caller-token"
        client[.cookie] = "session=1"
        client[HTTPField.Name("atproto-proxy")!] = "did:web:x#y"

        let get = ProxyHeaders.upstreamRequest(from: client, withBody: false)
        #expect(get["accept-encoding"] == ["identity"])
        #expect(get["accept-language"] == ["fr, en;q=0.5"])
        #expect(get["atproto-accept-labelers"] == ["did:plc:a;redact"])
        #expect(get["x-bsky-topics"] == ["dev"])
        for dropped in ["content-type", "content-encoding", "authorization", "cookie", "atproto-proxy"] {
            #expect(get[dropped].isEmpty, "\(dropped)")
        }

        client[.acceptEncoding] = "gzip, br"
        let post = ProxyHeaders.upstreamRequest(from: client, withBody: true)
        #expect(post["accept-encoding"] == ["gzip, br"])
        #expect(post["content-type"] == ["application/json"])
        #expect(post["content-encoding"] == ["gzip"])
        #expect(post["authorization"].isEmpty)
        #expect(
            ProxyHeaders.upstreamRequest(from: client, withBody: false, acceptEncoding: "identity")["accept-encoding"]
                == ["identity"])
    }

    @Test func responseHeadersAreTheReferenceList() {
        let upstream: HTTPHeaders = [
            "content-type": "application/json", "content-length": "12", "content-encoding": "gzip",
            "content-language": "en", "atproto-repo-rev": "3kabc", "atproto-content-labelers": "did:plc:a",
            "retry-after": "30", "set-cookie": "x=1", "x-upstream-secret": "s", "server": "fake",
        ]
        let success = ProxyHeaders.clientResponse(from: upstream, content: true)
        #expect(
            Set(success.map(\.name.canonicalName)) == [
                "content-type", "content-length", "content-encoding", "content-language", "atproto-repo-rev",
                "atproto-content-labelers", "retry-after",
            ])
        let error = ProxyHeaders.clientResponse(from: upstream, content: false)
        #expect(
            Set(error.map(\.name.canonicalName)) == ["atproto-repo-rev", "atproto-content-labelers", "retry-after"])
        let repeated = HTTPHeaders([
            ("atproto-content-labelers", "did:plc:a"), ("atproto-content-labelers", "did:plc:b"),
        ])
        #expect(
            ProxyHeaders.clientResponse(from: repeated, content: true)[HTTPField.Name("atproto-content-labelers")!]
                == "did:plc:a,did:plc:b")
    }

    @Test func upstreamErrorsAreForwardedAsTheReferenceDoes() {
        let headers: HTTPFields = [.retryAfter: "5"]
        let notFound = UpstreamError(status: 400, error: "NotFound", message: "Profile not found", headers: headers)
            .xrpcError
        #expect(
            notFound == XRPCError(status: .badRequest, name: "NotFound", message: "Profile not found", headers: headers)
        )
        let bare = UpstreamError(status: 404, error: nil, message: nil, headers: [:]).xrpcError
        #expect(bare.status == .notFound && bare.name == "XRPCNotSupported")
        let limited = UpstreamError(status: 429, error: nil, message: nil, headers: headers).xrpcError
        #expect(limited.name == "RateLimitExceeded" && limited.headers == headers)
        for status in [500, 502, 503, 504] {
            let failure = UpstreamError(status: status, error: "InternalServerError", message: "boom", headers: [:])
                .xrpcError
            #expect(failure.status == .badGateway && failure.name == "UpstreamFailure" && failure.message == "boom")
        }
        let parsed = UpstreamError.parseBody(Array(#"{"error":"E","message":"m","x":1}"#.utf8))
        #expect(parsed.error == "E" && parsed.message == "m")
        let html = UpstreamError.parseBody(Array("<html>".utf8))
        #expect(html.error == nil && html.message == nil)
        #expect(Pipethrough.isJSON("application/json; charset=utf-8"))
        #expect(Pipethrough.isJSON("application/problem+json"))
        #expect(!Pipethrough.isJSON("text/html"))
    }

    @Test func serviceJWTsCarryTheReferenceClaims() throws {
        let key = Secp256k1Keypair()
        let did = try DID("did:plc:abcdefghijklmnopqrstuvwx")
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let jwt = try JWT(
            compact: try ServiceJWT.sign(
                iss: did, aud: "did:web:api.example.com", lxm: "app.bsky.actor.getProfile", keypair: key, now: now))
        #expect(jwt.header == JWT.Header(alg: "ES256K", typ: "JWT"))
        #expect(jwt.claims.iss == did.rawValue && jwt.claims.aud == "did:web:api.example.com")
        #expect(jwt.claims.lxm == "app.bsky.actor.getProfile")
        #expect(jwt.claims.iat == 1_700_000_000 && jwt.claims.exp == 1_700_000_060)
        let jti = try #require(jwt.claims.jti)
        #expect(jti.count == 32 && jti.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(jwt.verify(key: key.publicKey))
        #expect(ServiceJWT.newJTI() != jti)
    }
}
