import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// `app.bsky.actor.getPreferences` / `putPreferences`, answered by the PDS itself with no AppView configured.
@Suite struct AppBskyActorTests {
    static var adult: [String: Any] { ["$type": "app.bsky.actor.defs#adultContentPref", "enabled": true] }
    static var details: [String: Any] {
        ["$type": "app.bsky.actor.defs#personalDetailsPref", "birthDate": "1990-01-01T00:00:00.000Z"]
    }
    static var label: [String: Any] {
        ["$type": "app.bsky.actor.defs#contentLabelPref", "label": "nsfw", "visibility": "warn"]
    }

    @Test func preferencesAreStoredAndReplacedWholesale() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let empty = try await xrpc.call("app.bsky.actor.getPreferences", token: alice.accessJwt)
                #expect(empty.status == .ok)
                #expect((try empty.jsonObject()["preferences"] as? [Any])?.isEmpty == true)

                let put = try await xrpc.call(
                    "app.bsky.actor.putPreferences", token: alice.accessJwt,
                    json: ["preferences": [Self.adult, Self.details, Self.label]])
                #expect(put.status == .ok, "\(put.text)")
                let stored = try await xrpc.call("app.bsky.actor.getPreferences", token: alice.accessJwt)
                let types = (try stored.jsonObject()["preferences"] as? [[String: Any]])?.map { $0["$type"] as? String }
                #expect(types == [
                    "app.bsky.actor.defs#adultContentPref", "app.bsky.actor.defs#personalDetailsPref",
                    "app.bsky.actor.defs#contentLabelPref",
                ])

                // A second put replaces them all.
                _ = try await xrpc.call(
                    "app.bsky.actor.putPreferences", token: alice.accessJwt, json: ["preferences": [Self.label]])
                let replaced = try await xrpc.call("app.bsky.actor.getPreferences", token: alice.accessJwt)
                let after = try replaced.jsonObject()["preferences"] as? [[String: Any]]
                #expect(after?.count == 1 && after?.first?["label"] as? String == "nsfw")
            }
        }
    }

    @Test func appPasswordsNeitherSeeNorReplacePersonalDetails() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let bob = try await xrpc.createAccount(handle: "bob.test")
                _ = try await xrpc.call(
                    "app.bsky.actor.putPreferences", token: bob.accessJwt,
                    json: ["preferences": [Self.adult, Self.details]])
                let created = try await xrpc.call(
                    "com.atproto.server.createAppPassword", token: bob.accessJwt, json: ["name": "app"])
                let password = try #require(try created.jsonObject()["password"] as? String)
                let login = try await xrpc.call(
                    "com.atproto.server.createSession", json: ["identifier": "bob.test", "password": password])
                let appToken = try #require(try login.jsonObject()["accessJwt"] as? String)

                let seen = try await xrpc.call("app.bsky.actor.getPreferences", token: appToken)
                let types = (try seen.jsonObject()["preferences"] as? [[String: Any]])?.map { $0["$type"] as? String }
                #expect(types == ["app.bsky.actor.defs#adultContentPref"])

                let refused = try await xrpc.call(
                    "app.bsky.actor.putPreferences", token: appToken, json: ["preferences": [Self.details]])
                #expect(refused.status == .badRequest)
                #expect(refused.error == "InvalidRequest")

                // Replacing what the app password sees keeps the personal details.
                _ = try await xrpc.call("app.bsky.actor.putPreferences", token: appToken, json: ["preferences": []])
                let full = try await xrpc.call("app.bsky.actor.getPreferences", token: bob.accessJwt)
                let kept = (try full.jsonObject()["preferences"] as? [[String: Any]])?.map { $0["$type"] as? String }
                #expect(kept == ["app.bsky.actor.defs#personalDetailsPref"])
            }
        }
    }

    @Test func invalidPreferencesAreRefusedAndNothingChanges() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let carol = try await xrpc.createAccount(handle: "carol.test")
                _ = try await xrpc.call(
                    "app.bsky.actor.putPreferences", token: carol.accessJwt, json: ["preferences": [Self.adult]])
                let cases: [([String: Any], String)] = [
                    (["preferences": [["$type": "app.bsky.actor.defs#adultContentPref", "enabled": "yes"]]],
                     "Input/preferences/0/enabled must be a boolean"),
                    (["preferences": [["$type": "com.example.other#pref"]]],
                     "Some preferences are not in the app.bsky namespace: com.example.other#pref"),
                    (["preferences": [["enabled": true]]], "Input/preferences/0 must be an object which includes the \"$type\" property"),
                    ([:], "Input must have the property \"preferences\""),
                ]
                for (body, message) in cases {
                    let reply = try await xrpc.call("app.bsky.actor.putPreferences", token: carol.accessJwt, json: body)
                    #expect(reply.status == .badRequest, "\(reply.text)")
                    #expect(reply.json["message"] as? String == message, "\(reply.text)")
                }
                let unchanged = try await xrpc.call("app.bsky.actor.getPreferences", token: carol.accessJwt)
                #expect((try unchanged.jsonObject()["preferences"] as? [Any])?.count == 1)
                let anonymous = try await xrpc.call("app.bsky.actor.getPreferences")
                #expect(anonymous.status == .unauthorized)
            }
        }
    }
}
