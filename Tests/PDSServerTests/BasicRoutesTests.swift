import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

@Suite struct BasicRoutesTests {
    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    @Test func healthReportsVersion() async throws {
        try await withTemporaryDirectory { dir in
        let app = try await TestApplication.make(["PDS_VERSION": "9.9.9"], dataDirectory: dir)
        try await app.test(.router) { client in
            try await client.execute(uri: "/xrpc/_health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["version"] as? String == "9.9.9")
            }
        }
        }
    }

    @Test func describeServerFollowsConfiguration() async throws {
        try await withTemporaryDirectory { dir in
        let app = try await TestApplication.make([
            "PDS_HOSTNAME": "pds.example.com",
            "PDS_INVITE_REQUIRED": "false",
            "PDS_PRIVACY_POLICY_URL": "https://example.com/privacy",
            "PDS_CONTACT_EMAIL_ADDRESS": "admin@example.com",
        ], dataDirectory: dir)
        try await app.test(.router) { client in
            try await client.execute(uri: "/xrpc/com.atproto.server.describeServer", method: .get) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["did"] as? String == "did:web:pds.example.com")
                #expect(body["availableUserDomains"] as? [String] == [".pds.example.com"])
                #expect(body["inviteCodeRequired"] as? Bool == false)
                #expect((body["links"] as? [String: Any])?["privacyPolicy"] as? String == "https://example.com/privacy")
                #expect((body["contact"] as? [String: Any])?["email"] as? String == "admin@example.com")
            }
        }
        }
    }

    @Test func unservedMethods() async throws {
        try await withTemporaryDirectory { dir in
        let app = try await TestApplication.make(dataDirectory: dir)
        try await app.test(.router) { client in
            // Every method the reference serves itself is served here (none is left to `MethodNotImplemented`).
            for nsid in XRPCMethodSets.servedByReference.sorted() {
                let kind = XRPCMethodSchema(nsid: nsid)?.kind
                guard kind != .subscription else { continue }
                let method: HTTPRequest.Method = kind == .procedure ? .post : .get
                try await client.execute(uri: "/xrpc/\(nsid)", method: method) { response in
                    #expect(response.status != .notImplemented, "\(nsid) is not served")
                }
            }
            // Any other method is proxied, which takes a session.
            try await client.execute(uri: "/xrpc/com.example.nothing.here", method: .get) { response in
                #expect(response.status == .unauthorized)
                let body = try json(response.body)
                #expect(body["error"] as? String == "AuthMissing")
            }
            try await client.execute(uri: "/xrpc/not-an-nsid", method: .post) { response in
                #expect(response.status == .notFound)
                let body = try json(response.body)
                #expect(body["error"] as? String == "NotFound")
            }
        }
        }
    }

    @Test func knownMethodWithTheWrongHTTPMethodIsABadRequest() async throws {
        try await withTemporaryDirectory { dir in
        let app = try await TestApplication.make(dataDirectory: dir)
        try await app.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("com.atproto.server.createSession", .get, "Incorrect HTTP method (GET) expected POST"),
                ("com.atproto.repo.getRecord", .post, "Incorrect HTTP method (POST) expected GET"),
                ("com.atproto.repo.getRecord", .delete, "Incorrect HTTP method (DELETE) expected GET"),
                ("com.atproto.sync.subscribeRepos", .get,
                 "com.atproto.sync.subscribeRepos is a subscription: open it as a WebSocket"),
            ]
            for (nsid, method, message) in cases {
                try await client.execute(uri: "/xrpc/\(nsid)", method: method) { response in
                    #expect(response.status == .badRequest, "\(method) \(nsid)")
                    let body = try json(response.body)
                    #expect(body["error"] as? String == "InvalidRequest")
                    #expect(body["message"] as? String == message)
                }
            }
        }
        }
    }

    @Test func robotsAllowsCrawling() async throws {
        try await withTemporaryDirectory { dir in
        let app = try await TestApplication.make(dataDirectory: dir)
        try await app.test(.router) { client in
            try await client.execute(uri: "/robots.txt", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Allow: /"))
            }
        }
        }
    }
}
