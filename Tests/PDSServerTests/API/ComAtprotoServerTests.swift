import ATCore
import ATCrypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

@Suite struct ComAtprotoServerTests {
    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func bearer(_ token: String) -> HTTPFields {
        [.contentType: "application/json", .authorization: "Bearer \(token)"]
    }

    /// Creates an account and returns the output.
    static func createAccount(
        _ client: some TestClientProtocol, handle: String, password: String = "password-123"
    ) async throws -> [String: Any] {
        try await client.execute(
            uri: "/xrpc/com.atproto.server.createAccount", method: .post, headers: jsonHeaders,
            body: try body(["handle": handle, "email": "\(handle)@example.com", "password": password])
        ) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try json(response.body)
        }
    }

    @Test func createAccountThenLoginRefreshAndLogout() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let created = try await Self.createAccount(client, handle: "alice.test")
                let did = try #require(created["did"] as? String)
                #expect(did.hasPrefix("did:plc:"))
                let didDoc = try #require(created["didDoc"] as? [String: Any])
                #expect(didDoc["alsoKnownAs"] as? [String] == ["at://alice.test"])

                let session = try await client.execute(
                    uri: "/xrpc/com.atproto.server.createSession", method: .post, headers: Self.jsonHeaders,
                    body: try Self.body(["identifier": "ALICE.test", "password": "password-123"])
                ) { response in
                    #expect(response.status == .ok)
                    return try Self.json(response.body)
                }
                #expect(session["did"] as? String == did)
                let access = try #require(session["accessJwt"] as? String)
                let refresh = try #require(session["refreshJwt"] as? String)

                try await client.execute(
                    uri: "/xrpc/com.atproto.server.getSession", method: .get, headers: Self.bearer(access)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl] == "private")
                    #expect((try? Self.json(response.body))?["handle"] as? String == "alice.test")
                }
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Self.bearer(refresh)
                ) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.deleteSession", method: .post, headers: Self.bearer(refresh)
                ) { response in
                    #expect(response.status == .ok)
                }
                // deleteSession revoked the presented token: presenting it again is refused.
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.refreshSession", method: .post, headers: Self.bearer(refresh)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect((try? Self.json(response.body))?["error"] as? String == "ExpiredToken")
                }
            }
        }
    }

    @Test func wrongPasswordIsUnauthorized() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                _ = try await Self.createAccount(client, handle: "bobby.test")
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.createSession", method: .post, headers: Self.jsonHeaders,
                    body: try Self.body(["identifier": "bobby.test", "password": "nope"])
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect((try? Self.json(response.body))?["error"] as? String == "AuthenticationRequired")
                }
            }
        }
    }

    @Test func takenHandleAndHandleRules() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                _ = try await Self.createAccount(client, handle: "carol.test")
                for (handle, name) in [
                    ("carol.test", "HandleNotAvailable"), ("ca.test", "InvalidHandle"),
                    ("carol.example.com", "UnsupportedDomain"), ("support.test", "HandleNotAvailable"),
                ] {
                    try await client.execute(
                        uri: "/xrpc/com.atproto.server.createAccount", method: .post, headers: Self.jsonHeaders,
                        body: try Self.body(["handle": handle, "email": "x\(handle)@example.com", "password": "p"])
                    ) { response in
                        #expect(response.status == .badRequest)
                        #expect((try? Self.json(response.body))?["error"] as? String == name, "\(handle)")
                    }
                }
            }
        }
    }

    @Test func invitesRequiredRefusesBadCodes() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(["PDS_INVITE_REQUIRED": "true"], dataDirectory: dir)
            try await app.test(.router) { client in
                for code in [nil, "nope-nope-nope"] as [String?] {
                    var input: [String: Any] = ["handle": "dave.test", "email": "d@example.com", "password": "p"]
                    input["inviteCode"] = code
                    try await client.execute(
                        uri: "/xrpc/com.atproto.server.createAccount", method: .post, headers: Self.jsonHeaders,
                        body: try Self.body(input)
                    ) { response in
                        #expect(response.status == .badRequest)
                        #expect((try? Self.json(response.body))?["error"] as? String == "InvalidInviteCode")
                    }
                }
            }
        }
    }
}
