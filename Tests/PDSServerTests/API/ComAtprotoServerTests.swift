import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Testing

@Suite struct ComAtprotoServerTests {
    @Test func createAccountThenLoginRefreshAndLogout() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let reply = try await xrpc.call(
                    "com.atproto.server.createAccount",
                    json: ["handle": "alice.test", "email": "alice.test@example.com", "password": "password-123"])
                #expect(reply.status == .ok, "\(reply.text)")
                let created = try reply.jsonObject()
                let did = try #require(created["did"] as? String)
                #expect(did.hasPrefix("did:plc:"))
                let didDoc = try #require(created["didDoc"] as? [String: Any])
                #expect(didDoc["alsoKnownAs"] as? [String] == ["at://alice.test"])

                let login = try await xrpc.call(
                    "com.atproto.server.createSession", json: ["identifier": "ALICE.test", "password": "password-123"])
                #expect(login.status == .ok)
                let session = try login.jsonObject()
                #expect(session["did"] as? String == did)
                let access = try #require(session["accessJwt"] as? String)
                let refresh = try #require(session["refreshJwt"] as? String)

                let current = try await xrpc.call("com.atproto.server.getSession", token: access)
                #expect(current.status == .ok)
                #expect(current.headers[.cacheControl] == "private")
                #expect(current.json["handle"] as? String == "alice.test")
                let refreshed = try await xrpc.call("com.atproto.server.refreshSession", method: .post, token: refresh)
                #expect(refreshed.status == .ok)
                let deleted = try await xrpc.call("com.atproto.server.deleteSession", method: .post, token: refresh)
                #expect(deleted.status == .ok)
                // deleteSession revoked the presented token: presenting it again is refused.
                let again = try await xrpc.call("com.atproto.server.refreshSession", method: .post, token: refresh)
                #expect(again.status == .badRequest)
                #expect(again.error == "ExpiredToken")
            }
        }
    }

    @Test func wrongPasswordIsUnauthorized() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                _ = try await xrpc.createAccount(handle: "bobby.test")
                let reply = try await xrpc.call(
                    "com.atproto.server.createSession", json: ["identifier": "bobby.test", "password": "nope"])
                #expect(reply.status == .unauthorized)
                #expect(reply.error == "AuthenticationRequired")
            }
        }
    }

    @Test func takenHandleAndHandleRules() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                _ = try await xrpc.createAccount(handle: "carol.test")
                for (handle, name) in [
                    ("carol.test", "HandleNotAvailable"), ("ca.test", "InvalidHandle"),
                    ("carol.example.com", "UnsupportedDomain"), ("support.test", "HandleNotAvailable"),
                ] {
                    let reply = try await xrpc.call(
                        "com.atproto.server.createAccount",
                        json: ["handle": handle, "email": "x\(handle)@example.com", "password": "p"])
                    #expect(reply.status == .badRequest)
                    #expect(reply.error == name, "\(handle)")
                }
            }
        }
    }

    @Test func invitesRequiredRefusesBadCodes() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(["PDS_INVITE_REQUIRED": "true"], dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                for code in [nil, "nope-nope-nope"] as [String?] {
                    var input: [String: Any] = ["handle": "dave.test", "email": "d@example.com", "password": "p"]
                    input["inviteCode"] = code
                    let reply = try await xrpc.call("com.atproto.server.createAccount", json: input)
                    #expect(reply.status == .badRequest)
                    #expect(reply.error == "InvalidInviteCode")
                }
            }
        }
    }
}
