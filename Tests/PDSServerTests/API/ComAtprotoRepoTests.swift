import ATCore
import ActorStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import Testing

@testable import PDSServer

/// `com.atproto.repo.*` record writes and reads, and the `#commit` each write sequences.
@Suite struct ComAtprotoRepoTests {
    static func ops(_ event: SequencedEvent) -> [(action: String, path: String)] {
        (event.body["ops"]?.array ?? []).map { ($0["action"]?.string ?? "", $0["path"]?.string ?? "") }
    }

    @Test func createGetListPutDeleteRoundTrip() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                var last = try await services.events(after: nil).last?.seq

                let created = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: alice.accessJwt,
                    json: [
                        "repo": "alice.test", "collection": "app.bsky.feed.post",
                        "record": XRPCTestClient.post("hello"),
                    ])
                #expect(created.status == .ok, "\(created.json)")
                let uri = try #require(created.json["uri"] as? String)
                let cid = try #require(created.json["cid"] as? String)
                #expect(uri.hasPrefix("at://\(alice.did)/app.bsky.feed.post/"))
                #expect(created.json["validationStatus"] as? String == "valid")
                let commit = try #require(created.json["commit"] as? [String: Any])
                var events = try await services.events(after: last)
                #expect(events.count == 1)
                #expect(events.first?.type.rawValue == "append")
                #expect(events.first?.body["commit"]?.link?.description == commit["cid"] as? String)
                #expect(events.first?.body["rev"]?.string == commit["rev"] as? String)
                let rkey = String(uri.split(separator: "/").last!)
                #expect(events.first.map(Self.ops)?.map(\.action) == ["create"])
                #expect(events.first.map(Self.ops)?.map(\.path) == ["app.bsky.feed.post/\(rkey)"])
                last = events.last?.seq
                // The account database mirrors the new root.
                let root = try await services.actorStore.read(try DID(alice.did)) { try $0.repo.root() }
                #expect(root?.cid.description == commit["cid"] as? String)

                let fetched = try await xrpc.call(
                    "com.atproto.repo.getRecord", query: "repo=\(alice.did)&collection=app.bsky.feed.post&rkey=\(rkey)")
                #expect(fetched.status == .ok)
                #expect(fetched.json["cid"] as? String == cid)
                #expect((fetched.json["value"] as? [String: Any])?["text"] as? String == "hello")
                let wrongCID = try await xrpc.call(
                    "com.atproto.repo.getRecord",
                    query: "repo=alice.test&collection=app.bsky.feed.post&rkey=\(rkey)&cid=\(commit["cid"]!)")
                #expect(wrongCID.status == .badRequest)
                #expect(wrongCID.error == "RecordNotFound")

                // putRecord with the same content: no commit, no event.
                let same = try await xrpc.call(
                    "com.atproto.repo.putRecord", token: alice.accessJwt,
                    json: [
                        "repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey,
                        "record": XRPCTestClient.post("hello"),
                    ])
                #expect(same.status == .ok, "\(same.json)")
                #expect(same.json["cid"] as? String == cid)
                #expect(same.json["commit"] == nil)
                #expect(try await services.events(after: last).isEmpty)

                // putRecord with new content updates; at a new rkey it creates.
                let updated = try await xrpc.call(
                    "com.atproto.repo.putRecord", token: alice.accessJwt,
                    json: [
                        "repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey,
                        "record": XRPCTestClient.post("hello again"), "swapRecord": cid,
                    ])
                #expect(updated.status == .ok, "\(updated.json)")
                #expect(updated.json["commit"] != nil)
                #expect(updated.json["cid"] as? String != cid)
                events = try await services.events(after: last)
                #expect(events.count == 1)
                #expect(events.first.map(Self.ops)?.map(\.action) == ["update"])
                last = events.last?.seq
                let profile = try await xrpc.call(
                    "com.atproto.repo.putRecord", token: alice.accessJwt,
                    json: [
                        "repo": alice.did, "collection": "app.bsky.actor.profile", "rkey": "self",
                        "record": ["displayName": "Alice"], "swapRecord": NSNull(),
                    ])
                #expect(profile.status == .ok, "\(profile.json)")
                #expect(profile.json["validationStatus"] as? String == "valid")
                events = try await services.events(after: last)
                #expect(events.first.map(Self.ops)?.map(\.action) == ["create"])
                last = events.last?.seq

                let described = try await xrpc.call("com.atproto.repo.describeRepo", query: "repo=alice.test")
                #expect(described.status == .ok, "\(described.json)")
                #expect(described.json["collections"] as? [String] == ["app.bsky.actor.profile", "app.bsky.feed.post"])
                #expect(described.json["handleIsCorrect"] as? Bool == true)
                #expect(described.json["did"] as? String == alice.did)

                let deleted = try await xrpc.call(
                    "com.atproto.repo.deleteRecord", token: alice.accessJwt,
                    json: ["repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey])
                #expect(deleted.status == .ok, "\(deleted.json)")
                #expect(deleted.json["commit"] != nil)
                events = try await services.events(after: last)
                #expect(events.count == 1)
                #expect(events.first.map(Self.ops)?.map(\.action) == ["delete"])
                last = events.last?.seq

                // Deleting it again is a no-op without a commit.
                let again = try await xrpc.call(
                    "com.atproto.repo.deleteRecord", token: alice.accessJwt,
                    json: ["repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey])
                #expect(again.status == .ok)
                #expect(again.json["commit"] == nil)
                #expect(try await services.events(after: last).isEmpty)

                let gone = try await xrpc.call(
                    "com.atproto.repo.getRecord", query: "repo=\(alice.did)&collection=app.bsky.feed.post&rkey=\(rkey)")
                #expect(gone.status == .badRequest)
                #expect(gone.error == "RecordNotFound")
            }
        }
    }

    @Test func swapsAreChecked() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let bob = try await xrpc.createAccount(handle: "bob.test")
                let first = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: bob.accessJwt,
                    json: ["repo": bob.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("one")])
                let firstCommit = try #require((first.json["commit"] as? [String: Any])?["cid"] as? String)
                let firstCID = try #require(first.json["cid"] as? String)
                let rkey = String(try #require(first.json["uri"] as? String).split(separator: "/").last!)
                _ = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: bob.accessJwt,
                    json: ["repo": bob.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("two")])
                let last = try await services.events(after: nil).last?.seq

                let staleCommit = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: bob.accessJwt,
                    json: [
                        "repo": bob.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("three"),
                        "swapCommit": firstCommit,
                    ])
                #expect(staleCommit.status == .badRequest)
                #expect(staleCommit.error == "InvalidSwap")
                #expect((staleCommit.json["message"] as? String)?.hasPrefix("Commit was at") == true)

                let wrongRecord = try await xrpc.call(
                    "com.atproto.repo.putRecord", token: bob.accessJwt,
                    json: [
                        "repo": bob.did, "collection": "app.bsky.feed.post", "rkey": rkey,
                        "record": XRPCTestClient.post("changed"), "swapRecord": firstCommit,
                    ])
                #expect(wrongRecord.status == .badRequest)
                #expect(wrongRecord.error == "InvalidSwap")
                #expect((wrongRecord.json["message"] as? String)?.hasPrefix("Record was at") == true)

                let mustBeAbsent = try await xrpc.call(
                    "com.atproto.repo.putRecord", token: bob.accessJwt,
                    json: [
                        "repo": bob.did, "collection": "app.bsky.feed.post", "rkey": rkey,
                        "record": XRPCTestClient.post("changed"), "swapRecord": NSNull(),
                    ])
                #expect(mustBeAbsent.error == "InvalidSwap")

                let deleteWrong = try await xrpc.call(
                    "com.atproto.repo.deleteRecord", token: bob.accessJwt,
                    json: [
                        "repo": bob.did, "collection": "app.bsky.feed.post", "rkey": rkey, "swapRecord": firstCommit,
                    ])
                #expect(deleteWrong.error == "InvalidSwap")
                #expect(try await services.events(after: last).isEmpty)

                let deleteRight = try await xrpc.call(
                    "com.atproto.repo.deleteRecord", token: bob.accessJwt,
                    json: ["repo": bob.did, "collection": "app.bsky.feed.post", "rkey": rkey, "swapRecord": firstCID])
                #expect(deleteRight.status == .ok, "\(deleteRight.json)")
                #expect(try await services.events(after: last).count == 1)
            }
        }
    }

    @Test func validationStatuses() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let carol = try await xrpc.createAccount(handle: "carol.test")
                func create(_ collection: String, _ record: [String: Any], validate: Bool? = nil) async throws
                    -> XRPCReply
                {
                    var body: [String: Any] = ["repo": carol.did, "collection": collection, "record": record]
                    if let validate { body["validate"] = validate }
                    return try await xrpc.call("com.atproto.repo.createRecord", token: carol.accessJwt, json: body)
                }
                let valid = try await create("app.bsky.feed.post", XRPCTestClient.post("ok"))
                #expect(valid.json["validationStatus"] as? String == "valid")

                let invalid = try await create("app.bsky.feed.post", ["text": 5, "createdAt": "2024-01-01T00:00:00Z"])
                #expect(invalid.status == .badRequest)
                #expect(invalid.error == "InvalidRequest")

                let wrongType = try await create("app.bsky.feed.post", ["$type": "app.bsky.feed.like"])
                #expect(wrongType.status == .badRequest)

                let unknown = try await create("com.example.thing", ["anything": "goes"])
                #expect(unknown.status == .ok, "\(unknown.json)")
                #expect(unknown.json["validationStatus"] as? String == "unknown")

                let unknownStrict = try await create("com.example.thing", ["anything": "goes"], validate: true)
                #expect(unknownStrict.status == .badRequest)

                let skipped = try await create(
                    "app.bsky.feed.post", ["text": 5, "createdAt": "2024-01-01T00:00:00Z"], validate: false)
                #expect(skipped.status == .ok, "\(skipped.json)")
                #expect(skipped.json["validationStatus"] == nil)
            }
        }
    }

    @Test func writesToAnotherRepoAreRefused() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let dave = try await xrpc.createAccount(handle: "dave.test")
                let erin = try await xrpc.createAccount(handle: "erin.test")
                let last = try await services.events(after: nil).last?.seq
                let foreign = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: erin.accessJwt,
                    json: ["repo": dave.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("x")])
                #expect(foreign.status == .unauthorized || foreign.status == .forbidden)
                let anonymous = try await xrpc.call(
                    "com.atproto.repo.createRecord",
                    json: ["repo": dave.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("x")])
                #expect(anonymous.status == .unauthorized)
                let applied = try await xrpc.call(
                    "com.atproto.repo.applyWrites", token: erin.accessJwt,
                    json: ["repo": "dave.test", "writes": [] as [Any]])
                #expect(applied.status == .unauthorized || applied.status == .forbidden)
                #expect(try await services.events(after: last).isEmpty)
            }
        }
    }

    @Test func deactivatedAccountsCannotWriteAndAreNotListed() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let hal = try await xrpc.createAccount(handle: "hal.test")
                let deactivated = try await xrpc.call(
                    "com.atproto.server.deactivateAccount", token: hal.accessJwt, json: [:])
                #expect(deactivated.status == .ok)
                let last = try await services.events(after: nil).last?.seq
                let refused = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: hal.accessJwt,
                    json: ["repo": hal.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("x")])
                #expect(refused.status == .unauthorized)
                #expect(refused.error == "AccountDeactivated")
                #expect(try await services.events(after: last).isEmpty)
                let listed = try await xrpc.call(
                    "com.atproto.repo.listRecords", query: "repo=\(hal.did)&collection=app.bsky.feed.post")
                #expect(listed.status == .badRequest)
                let described = try await xrpc.call("com.atproto.repo.describeRepo", query: "repo=hal.test")
                #expect(described.error == "RepoDeactivated")
            }
        }
    }

    @Test func takenDownRecordsAreHidden() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let ivy = try await xrpc.createAccount(handle: "ivy.test")
                let created = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: ivy.accessJwt,
                    json: ["repo": ivy.did, "collection": "app.bsky.feed.post", "record": XRPCTestClient.post("x")])
                let uri = try ATURI(try #require(created.json["uri"] as? String))
                try await services.actorStore.transact(try DID(ivy.did)) { txn in
                    try txn.record.updateTakedown(uri: uri, takedownRef: "mod-1")
                }
                let rkey = try #require(uri.recordKey?.rawValue)
                let fetched = try await xrpc.call(
                    "com.atproto.repo.getRecord", query: "repo=\(ivy.did)&collection=app.bsky.feed.post&rkey=\(rkey)")
                #expect(fetched.error == "RecordNotFound")
                let listed = try await xrpc.call(
                    "com.atproto.repo.listRecords", query: "repo=\(ivy.did)&collection=app.bsky.feed.post")
                #expect((listed.json["records"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func applyWritesAndBacklinkConflicts() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let fay = try await xrpc.createAccount(handle: "fay.test")
                let last = try await services.events(after: nil).last?.seq
                let prefix = "com.atproto.repo.applyWrites#"
                let applied = try await xrpc.call(
                    "com.atproto.repo.applyWrites", token: fay.accessJwt,
                    json: [
                        "repo": fay.did,
                        "writes": [
                            [
                                "$type": prefix + "create", "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2a",
                                "value": XRPCTestClient.post("a"),
                            ],
                            [
                                "$type": prefix + "create", "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2b",
                                "value": XRPCTestClient.post("b"),
                            ],
                            ["$type": prefix + "create", "collection": "com.example.thing", "value": ["x": 1]],
                        ],
                    ])
                #expect(applied.status == .ok, "\(applied.json)")
                let results = try #require(applied.json["results"] as? [[String: Any]])
                #expect(results.map { $0["$type"] as? String } == Array(repeating: prefix + "createResult", count: 3))
                #expect(results.map { $0["validationStatus"] as? String } == ["valid", "valid", "unknown"])
                #expect(applied.json["commit"] != nil)

                let mixed = try await xrpc.call(
                    "com.atproto.repo.applyWrites", token: fay.accessJwt,
                    json: [
                        "repo": fay.did,
                        "writes": [
                            [
                                "$type": prefix + "update", "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2a",
                                "value": XRPCTestClient.post("a2"),
                            ],
                            ["$type": prefix + "delete", "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2b"],
                        ],
                    ])
                #expect(mixed.status == .ok, "\(mixed.json)")
                let mixedResults = try #require(mixed.json["results"] as? [[String: Any]])
                #expect(
                    mixedResults.map { $0["$type"] as? String } == [prefix + "updateResult", prefix + "deleteResult"])

                // A create of an existing record fails as a whole.
                let duplicate = try await xrpc.call(
                    "com.atproto.repo.applyWrites", token: fay.accessJwt,
                    json: [
                        "repo": fay.did,
                        "writes": [
                            [
                                "$type": prefix + "create", "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2a",
                                "value": XRPCTestClient.post("again"),
                            ]
                        ],
                    ])
                #expect(duplicate.status == .badRequest)
                var events = try await services.events(after: last)
                #expect(events.count == 2)
                #expect(
                    events.map { Self.ops($0).map(\.action) } == [
                        ["create", "create", "create"], ["update", "delete"],
                    ])

                // A second like of the same post replaces the first in one commit.
                let subject: [String: Any] = [
                    "uri": "at://\(fay.did)/app.bsky.feed.post/3jzfcijpj2z2a",
                    "cid": try #require(results[0]["cid"] as? String),
                ]
                let like: [String: Any] = [
                    "$type": "app.bsky.feed.like", "subject": subject, "createdAt": "2024-01-01T00:00:00.000Z",
                ]
                let like1 = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: fay.accessJwt,
                    json: ["repo": fay.did, "collection": "app.bsky.feed.like", "record": like])
                #expect(like1.status == .ok, "\(like1.json)")
                let like2 = try await xrpc.call(
                    "com.atproto.repo.createRecord", token: fay.accessJwt,
                    json: ["repo": fay.did, "collection": "app.bsky.feed.like", "record": like])
                #expect(like2.status == .ok, "\(like2.json)")
                events = try await services.events(after: events.last?.seq)
                #expect(events.map { Self.ops($0).map(\.action) } == [["create"], ["delete", "create"]])
                let likes = try await xrpc.call(
                    "com.atproto.repo.listRecords", query: "repo=\(fay.did)&collection=app.bsky.feed.like")
                #expect((likes.json["records"] as? [Any])?.count == 1)
            }
        }
    }

    @Test func listRecordsPagination() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let gus = try await xrpc.createAccount(handle: "gus.test")
                for index in 0..<5 {
                    let reply = try await xrpc.call(
                        "com.atproto.repo.createRecord", token: gus.accessJwt,
                        json: [
                            "repo": gus.did, "collection": "com.example.thing", "rkey": "rkey\(index)",
                            "record": ["n": index],
                        ])
                    #expect(reply.status == .ok, "\(reply.json)")
                }
                func page(_ query: String) async throws -> (rkeys: [String], cursor: String?) {
                    let reply = try await xrpc.call(
                        "com.atproto.repo.listRecords", query: "repo=gus.test&collection=com.example.thing&" + query)
                    #expect(reply.status == .ok, "\(reply.json)")
                    let records = reply.json["records"] as? [[String: Any]] ?? []
                    let rkeys = records.compactMap {
                        ($0["uri"] as? String)?.split(separator: "/").last.map(String.init)
                    }
                    return (rkeys, reply.json["cursor"] as? String)
                }
                let first = try await page("limit=2")
                #expect(first.rkeys == ["rkey4", "rkey3"])
                let second = try await page("limit=2&cursor=\(first.cursor ?? "")")
                #expect(second.rkeys == ["rkey2", "rkey1"])
                let third = try await page("limit=2&cursor=\(second.cursor ?? "")")
                #expect(third.rkeys == ["rkey0"])
                let reversed = try await page("limit=3&reverse=true")
                #expect(reversed.rkeys == ["rkey0", "rkey1", "rkey2"])
                let rest = try await page("limit=3&reverse=true&cursor=\(reversed.cursor ?? "")")
                #expect(rest.rkeys == ["rkey3", "rkey4"])
                let tooMany = try await xrpc.call(
                    "com.atproto.repo.listRecords", query: "repo=gus.test&collection=com.example.thing&limit=101")
                #expect(tooMany.status == .badRequest)
                let missing = try await xrpc.call(
                    "com.atproto.repo.listRecords", query: "repo=nobody.test&collection=com.example.thing")
                #expect(missing.status == .badRequest)
            }
        }
    }
}
