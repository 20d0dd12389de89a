import ATCore
import ActorStore
import Foundation
import NIOCore
import Testing

@testable import PDSServer

/// The read-after-write munges, JSON in → JSON out, as the reference's handlers patch AppView answers.
@Suite struct ReadAfterWriteMungeTests {
    static let did = try! DID("did:plc:requesterrrrrrrrrrrrrrrr")
    static let other = "did:plc:someoneelseeeeeeeeeeeeee"
    static let images = ImageURLBuilder(
        cdnURLPattern: "https://cdn.example.com/img/%s/plain/%s/%s@jpeg", publicURL: "https://pds.example.com")
    static let avatar = BlobRef(ref: CID.raw(hashing: Array("avatar".utf8)), mimeType: "image/png", size: 6)
    static let banner = BlobRef(ref: CID.raw(hashing: Array("banner".utf8)), mimeType: "image/png", size: 6)
    static let photo = BlobRef(ref: CID.raw(hashing: Array("photo".utf8)), mimeType: "image/jpeg", size: 5)

    static let profile: LexValue = [
        "$type": "app.bsky.actor.profile", "displayName": "New Name", "avatar": avatar.lexValue,
        "banner": banner.lexValue,
    ]

    static func viewer(appView: LocalViewer.AppViewQuery? = nil, handle: String? = "alice.test") -> LocalViewer {
        LocalViewer(did: did, handle: handle, profile: profile, images: images, appView: appView)
    }

    static func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    static func post(_ rkey: String, _ text: String, at indexedAt: String, extra: [String: LexValue] = [:]) throws
        -> LocalRecord
    {
        var value: [String: LexValue] = [
            "$type": "app.bsky.feed.post", "text": .string(text), "createdAt": .string(indexedAt),
        ]
        value.merge(extra) { $1 }
        return LocalRecord(
            uri: try ATURI("at://\(did)/app.bsky.feed.post/\(rkey)"), cid: CID.dagCBOR(hashing: Array(text.utf8)),
            indexedAt: indexedAt, value: .map(value))
    }

    static func local(profile: LexValue? = nil, posts: [LocalRecord] = []) throws -> LocalRecords {
        var local = LocalRecords()
        local.count = posts.count + (profile == nil ? 0 : 1)
        local.posts = posts
        if let profile {
            local.profile = LocalRecord(
                uri: try ATURI("at://\(did)/app.bsky.actor.profile/self"), cid: CID.dagCBOR(hashing: [1]),
                indexedAt: "2026-01-01T00:00:00.000Z", value: profile)
        }
        return local
    }

    static func feedItem(_ uri: String, author: String, at indexedAt: String) -> String {
        #"{"post":{"uri":"\#(uri)","cid":"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm","author":{"did":"\#(author)","handle":"x.test","displayName":"Old"},"record":{"$type":"app.bsky.feed.post","text":"t","createdAt":"\#(indexedAt)"},"indexedAt":"\#(indexedAt)"}}"#
    }

    static func url(_ preset: String, _ blob: BlobRef) -> JSONValue {
        .string("https://cdn.example.com/img/\(preset)/plain/\(did)/\(blob.ref)@jpeg")
    }

    // MARK: - Profiles

    @Test func getProfileUpdatesTheCallersProfileDetailed() async throws {
        let original = try Self.json(
            #"{"did":"\#(Self.did)","handle":"alice.test","displayName":"Old","description":"old text","avatar":"https://old/a","followersCount":3}"#
        )
        let munged = try await ReadAfterWrite.getProfile(
            Self.viewer(), original, try Self.local(profile: Self.profile), Self.did)
        #expect(
            munged
                == .object([
                    "did": .string(Self.did.rawValue), "handle": .string("alice.test"),
                    "displayName": .string("New Name"), "avatar": Self.url("avatar", Self.avatar),
                    "banner": Self.url("banner", Self.banner), "followersCount": .number("3"),
                ]))  // description: the record has none, so it is gone, as the reference's spread of `undefined`

        let someoneElse = try Self.json(#"{"did":"\#(Self.other)","handle":"bob.test","displayName":"Bob"}"#)
        #expect(
            try await ReadAfterWrite.getProfile(
                Self.viewer(), someoneElse, try Self.local(profile: Self.profile), Self.did)
                == someoneElse)
        // Posts alone do not touch a profile.
        #expect(try await ReadAfterWrite.getProfile(Self.viewer(), original, try Self.local(), Self.did) == original)
    }

    @Test func getProfilesUpdatesOnlyTheCallersEntry() async throws {
        let original = try Self.json(
            #"{"profiles":[{"did":"\#(Self.other)","handle":"bob.test","displayName":"Bob"},{"did":"\#(Self.did)","handle":"alice.test","displayName":"Old"}]}"#
        )
        let munged = try await ReadAfterWrite.getProfiles(
            Self.viewer(), original, try Self.local(profile: Self.profile), Self.did)
        let profiles = try #require(munged["profiles"]?.array)
        #expect(profiles[0] == original["profiles"]?.array?[0])
        #expect(profiles[1]["displayName"] == .string("New Name"))
        #expect(profiles[1]["banner"] == Self.url("banner", Self.banner))
    }

    // MARK: - Feeds

    @Test func getTimelineInsertsNewerLocalPostsInTimeOrder() async throws {
        let original = try Self.json(
            #"{"cursor":"c1","feed":[\#(Self.feedItem("at://\(Self.other)/app.bsky.feed.post/a3", author: Self.other, at: "2026-01-03T00:00:00.000Z")),\#(Self.feedItem("at://\(Self.other)/app.bsky.feed.post/a1", author: Self.other, at: "2026-01-01T00:00:00.000Z"))]}"#
        )
        let posts = [
            try Self.post("p0", "too old for this page", at: "2025-12-31T00:00:00.000Z"),
            try Self.post("p2", "second", at: "2026-01-02T00:00:00.000Z"),
            try Self.post("p4", "fourth", at: "2026-01-04T00:00:00.000Z"),
        ]
        let munged = try await ReadAfterWrite.getTimeline(
            Self.viewer(), original, try Self.local(posts: posts), Self.did)
        #expect(munged["cursor"] == .string("c1"))
        let feed = try #require(munged["feed"]?.array)
        #expect(
            feed.map { $0["post"]?["uri"]?.string?.split(separator: "/").last.map(String.init) } == [
                "p4", "a3", "p2", "a1",
            ])
        let view = try #require(feed[0]["post"])
        #expect(
            view
                == .object([
                    "uri": .string(posts[2].uri.rawValue), "cid": .string(posts[2].cid.description),
                    "author": .object([
                        "did": .string(Self.did.rawValue), "handle": .string("alice.test"),
                        "displayName": .string("New Name"), "avatar": Self.url("avatar", Self.avatar),
                    ]),
                    "record": posts[2].value.jsonValue, "indexedAt": .string("2026-01-04T00:00:00.000Z"),
                    "likeCount": .number("0"), "replyCount": .number("0"), "repostCount": .number("0"),
                    "quoteCount": .number("0"),
                ]))
        #expect(feed[0] == .object(["post": view]), "a bare {post} item, as the reference inserts")
    }

    @Test func anEmptyTimelineTakesEveryLocalPostNewestFirst() async throws {
        let posts = [
            try Self.post("p1", "one", at: "2026-01-01T00:00:00.000Z"),
            try Self.post("p2", "two", at: "2026-01-02T00:00:00.000Z"),
        ]
        let munged = try await ReadAfterWrite.getTimeline(
            Self.viewer(), try Self.json(#"{"feed":[]}"#), try Self.local(posts: posts), Self.did)
        #expect(munged["feed"]?.array?.map { $0["post"]?["record"]?["text"]?.string } == ["two", "one"])
        // An account that is gone makes no post views.
        let gone = try await ReadAfterWrite.getTimeline(
            Self.viewer(handle: nil), try Self.json(#"{"feed":[]}"#), try Self.local(posts: posts), Self.did)
        #expect(gone["feed"]?.array == [])
    }

    @Test func postEmbedsBecomeViewsWithImageURLs() async throws {
        let image: LexValue = [
            "$type": "app.bsky.embed.images",
            "images": [["image": Self.photo.lexValue, "alt": "a photo", "aspectRatio": ["width": 4, "height": 3]]],
        ]
        let quoted = "at://\(Self.other)/app.bsky.feed.post/q1"
        let posts = [
            try Self.post("p1", "images", at: "2026-01-01T00:00:00.000Z", extra: ["embed": image]),
            try Self.post(
                "p2", "quote", at: "2026-01-02T00:00:00.000Z",
                extra: [
                    "embed": ["$type": "app.bsky.embed.record", "record": ["uri": .string(quoted), "cid": "bafy"]]
                ]),
            try Self.post(
                "p3", "link", at: "2026-01-03T00:00:00.000Z",
                extra: [
                    "embed": [
                        "$type": "app.bsky.embed.external",
                        "external": [
                            "uri": "https://example.com", "title": "T", "description": "D",
                            "thumb": Self.photo.lexValue,
                        ],
                    ]
                ]),
        ]
        let calls = Calls()
        let appView: LocalViewer.AppViewQuery = { lxm, parameters in
            await calls.add(lxm, parameters)
            return try JSONValue(
                parsing:
                    #"{"posts":[{"uri":"\#(quoted)","cid":"bafyq","author":{"did":"\#(Self.other)","handle":"bob.test"},"record":{"text":"quoted"},"indexedAt":"2025-01-01T00:00:00.000Z"}]}"#
            )
        }
        let feed =
            try await ReadAfterWrite.getTimeline(
                Self.viewer(appView: appView), try Self.json(#"{"feed":[]}"#), try Self.local(posts: posts), Self.did
            )["feed"]?.array ?? []
        #expect(feed.count == 3)
        let external = feed[0]["post"]?["embed"]
        #expect(external?["$type"] == .string("app.bsky.embed.external#view"))
        #expect(external?["external"]?["thumb"] == Self.url("feed_thumbnail", Self.photo))
        #expect(external?["external"]?["title"] == .string("T"))
        let record = feed[1]["post"]?["embed"]
        #expect(record?["$type"] == .string("app.bsky.embed.record#view"))
        #expect(record?["record"]?["$type"] == .string("app.bsky.embed.record#viewRecord"))
        #expect(record?["record"]?["value"]?["text"] == .string("quoted"))
        #expect(record?["record"]?["author"]?["handle"] == .string("bob.test"))
        #expect(await calls.all.map(\.0) == ["app.bsky.feed.getPosts"])
        #expect(await calls.all.first?.1.first?.1 == quoted)
        let images = feed[2]["post"]?["embed"]
        #expect(
            images
                == .object([
                    "$type": .string("app.bsky.embed.images#view"),
                    "images": .array([
                        .object([
                            "thumb": Self.url("feed_thumbnail", Self.photo),
                            "fullsize": Self.url("feed_fullsize", Self.photo),
                            "alt": .string("a photo"),
                            "aspectRatio": .object(["width": .number("4"), "height": .number("3")]),
                        ])
                    ]),
                ]))

        // Without an AppView the quoted post is "not found".
        let alone = try await ReadAfterWrite.getTimeline(
            Self.viewer(), try Self.json(#"{"feed":[]}"#), try Self.local(posts: [posts[1]]), Self.did)
        #expect(
            alone["feed"]?.array?.first?["post"]?["embed"]?["record"]
                == .object([
                    "$type": .string("app.bsky.embed.record#viewNotFound"), "uri": .string(quoted),
                    "notFound": .bool(true),
                ]))
    }

    @Test func getAuthorFeedMungesOnlyTheCallersOwnFeed() async throws {
        let own = try Self.json(
            #"{"feed":[\#(Self.feedItem("at://\(Self.did)/app.bsky.feed.post/a2", author: Self.did.rawValue, at: "2026-01-02T00:00:00.000Z")),\#(Self.feedItem("at://\(Self.other)/app.bsky.feed.post/b1", author: Self.other, at: "2026-01-01T00:00:00.000Z"))]}"#
        )
        let local = try Self.local(
            profile: Self.profile, posts: [try Self.post("p3", "new", at: "2026-01-03T00:00:00.000Z")])
        let munged = try await ReadAfterWrite.getAuthorFeed(Self.viewer(), own, local, Self.did)
        let feed = try #require(munged["feed"]?.array)
        #expect(feed.count == 3)
        #expect(feed[0]["post"]?["record"]?["text"] == .string("new"))
        #expect(feed[1]["post"]?["author"]?["displayName"] == .string("New Name"))
        #expect(feed[1]["post"]?["author"]?["avatar"] == Self.url("avatar", Self.avatar))
        #expect(feed[2]["post"]?["author"]?["displayName"] == .string("Old"), "someone else's post is left alone")

        let reposted = try Self.json(
            #"{"feed":[{"post":\#(try #require(own["feed"]?.array?[1]["post"]).serializedString),"reason":{"$type":"app.bsky.feed.defs#reasonRepost","by":{"did":"\#(Self.did)","handle":"alice.test"},"indexedAt":"2026-01-02T00:00:00.000Z"}}]}"#
        )
        #expect(
            try await ReadAfterWrite.getAuthorFeed(Self.viewer(), reposted, local, Self.did)["feed"]?.array?.count == 2)

        let others = try Self.json(
            #"{"feed":[\#(Self.feedItem("at://\(Self.other)/app.bsky.feed.post/b1", author: Self.other, at: "2026-01-01T00:00:00.000Z"))]}"#
        )
        #expect(try await ReadAfterWrite.getAuthorFeed(Self.viewer(), others, local, Self.did) == others)
        let empty = try Self.json(#"{"feed":[]}"#)
        #expect(try await ReadAfterWrite.getAuthorFeed(Self.viewer(), empty, local, Self.did) == empty)
    }

    @Test func getActorLikesUpdatesTheCallersAuthorViewsOnly() async throws {
        let original = try Self.json(
            #"{"feed":[\#(Self.feedItem("at://\(Self.did)/app.bsky.feed.post/a2", author: Self.did.rawValue, at: "2026-01-02T00:00:00.000Z")),\#(Self.feedItem("at://\(Self.other)/app.bsky.feed.post/b1", author: Self.other, at: "2026-01-01T00:00:00.000Z"))]}"#
        )
        let local = try Self.local(
            profile: Self.profile, posts: [try Self.post("p3", "new", at: "2026-01-03T00:00:00.000Z")])
        let feed = try #require(
            try await ReadAfterWrite.getActorLikes(Self.viewer(), original, local, Self.did)["feed"]?.array)
        #expect(feed.count == 2, "no posts are inserted into likes")
        #expect(feed[0]["post"]?["author"]?["displayName"] == .string("New Name"))
        #expect(feed[1] == original["feed"]?.array?[1])
    }

    // MARK: - Threads

    static func threadPost(_ uri: String, root: String?) -> String {
        let reply =
            root.map { #","reply":{"root":{"uri":"\#($0)","cid":"bafyr"},"parent":{"uri":"\#($0)","cid":"bafyr"}}"# }
            ?? ""
        return
            #"{"uri":"\#(uri)","cid":"bafyc","author":{"did":"\#(Self.other)","handle":"bob.test"},"record":{"text":"t"\#(reply)},"indexedAt":"2026-01-01T00:00:00.000Z"}"#
    }

    static func reply(_ rkey: String, root: String, parent: String, at time: String) throws -> LocalRecord {
        try post(
            rkey, "reply \(rkey)", at: time,
            extra: [
                "reply": [
                    "root": ["uri": .string(root), "cid": "bafyr"], "parent": ["uri": .string(parent), "cid": "bafyp"],
                ]
            ])
    }

    @Test func getPostThreadPutsLocalRepliesFirstUnderTheirParents() async throws {
        let root = "at://\(Self.other)/app.bsky.feed.post/root"
        let child = "at://\(Self.other)/app.bsky.feed.post/child"
        let original = try Self.json(
            #"{"thread":{"$type":"app.bsky.feed.defs#threadViewPost","post":\#(Self.threadPost(root, root: nil)),"replies":[{"$type":"app.bsky.feed.defs#threadViewPost","post":\#(Self.threadPost(child, root: root)),"replies":[]}]}}"#
        )
        let local = try Self.local(posts: [
            try Self.reply("r1", root: root, parent: root, at: "2026-01-02T00:00:00.000Z"),
            try Self.reply("r2", root: root, parent: child, at: "2026-01-03T00:00:00.000Z"),
            try Self.post("p1", "unrelated", at: "2026-01-04T00:00:00.000Z"),
        ])
        let thread = try #require(
            try await ReadAfterWrite.getPostThread(Self.viewer(), original, local, Self.did)["thread"])
        let replies = try #require(thread["replies"]?.array)
        #expect(replies.count == 2)
        #expect(replies[0]["$type"] == .string("app.bsky.feed.defs#threadViewPost"))
        #expect(replies[0]["post"]?["record"]?["text"] == .string("reply r1"))
        #expect(replies[0]["post"]?["author"]?["handle"] == .string("alice.test"))
        #expect(replies[1]["post"]?["uri"] == .string(child))
        #expect(replies[1]["replies"]?.array?.map { $0["post"]?["record"]?["text"] } == [.string("reply r2")])

        let notFound = try Self.json(
            #"{"thread":{"$type":"app.bsky.feed.defs#notFoundPost","uri":"\#(root)","notFound":true}}"#)
        #expect(try await ReadAfterWrite.getPostThread(Self.viewer(), notFound, local, Self.did) == notFound)
    }

    @Test func aThreadTheAppViewDoesNotKnowIsMadeLocallyUnderItsParents() async throws {
        let root = "at://\(Self.other)/app.bsky.feed.post/root"
        let mine = try Self.reply("r1", root: root, parent: root, at: "2026-01-02T00:00:00.000Z")
        let below = try Self.reply("r2", root: root, parent: mine.uri.rawValue, at: "2026-01-03T00:00:00.000Z")
        let calls = Calls()
        let appView: LocalViewer.AppViewQuery = { lxm, parameters in
            await calls.add(lxm, parameters)
            return try JSONValue(
                parsing:
                    #"{"thread":{"$type":"app.bsky.feed.defs#threadViewPost","post":\#(Self.threadPost(root, root: nil))}}"#
            )
        }
        let made = try await ReadAfterWrite.localThread(
            mine.uri.rawValue, local: try Self.local(posts: [mine, below]), parentHeight: "5",
            viewer: Self.viewer(appView: appView))
        let thread = try #require(made?["thread"])
        #expect(thread["post"]?["uri"] == .string(mine.uri.rawValue))
        #expect(thread["parent"]?["post"]?["uri"] == .string(root))
        #expect(thread["replies"]?.array?.map { $0["post"]?["uri"] } == [.string(below.uri.rawValue)])
        let call = try #require(await calls.all.first)
        #expect(call.0 == "app.bsky.feed.getPostThread")
        #expect(call.1.map { "\($0.0)=\($0.1)" } == ["uri=\(root)", "depth=0", "parentHeight=5"])

        let unknown = try await ReadAfterWrite.localThread(
            "at://\(Self.did)/app.bsky.feed.post/nope", local: try Self.local(posts: [mine]), parentHeight: nil,
            viewer: Self.viewer())
        #expect(unknown == nil)
    }

    // MARK: - Plumbing

    @Test func lagIsFromTheOldestLocalRecord() throws {
        let local = try Self.local(
            profile: Self.profile,  // indexed 2026-01-01T00:00:00.000Z
            posts: [try Self.post("p1", "one", at: "2026-01-01T00:00:02.500Z")])
        let now = try Datetime("2026-01-01T00:00:10.000Z").date
        #expect(ReadAfterWrite.lag(local, now: now) == 10_000)
        #expect(ReadAfterWrite.lag(LocalRecords(), now: now) == nil)
    }

    @Test func imageURLsFollowTheCDNPatternOrPointAtGetBlob() {
        #expect(
            ImageURLBuilder(cdnURLPattern: "https://cdn/img/%s/plain/%s/%s@jpeg", publicURL: "https://pds")
                .build("avatar", did: "did:plc:x", cid: "bafk") == "https://cdn/img/avatar/plain/did:plc:x/bafk@jpeg")
        #expect(
            ImageURLBuilder(cdnURLPattern: nil, publicURL: "https://pds.example.com")
                .build("avatar", did: "did:plc:x", cid: "bafk")
                == "https://pds.example.com/xrpc/com.atproto.sync.getBlob?did=did:plc:x&cid=bafk")
        #expect(ImageURLBuilder.format("%s/%%/%s", ["a", "b", "c"]) == "a/%/b c")
    }

    @Test func onlyValidUpstreamOutputIsMunged() throws {
        let valid = ByteBuffer(string: #"{"feed":[]}"#)
        #expect(try ReadAfterWrite.output(of: "app.bsky.feed.getTimeline", valid) == .object(["feed": .array([])]))
        #expect(throws: ReadAfterWriteError.self) {
            try ReadAfterWrite.output(of: "app.bsky.feed.getTimeline", ByteBuffer(string: #"{"feed":{}}"#))
        }
        #expect(throws: ReadAfterWriteError.self) {
            try ReadAfterWrite.output(of: "app.bsky.actor.getProfile", ByteBuffer(string: #"{"handle":"x.test"}"#))
        }
        #expect(throws: ReadAfterWriteError.self) {
            try ReadAfterWrite.output(of: "app.bsky.feed.getTimeline", ByteBuffer(string: "not json"))
        }
    }
}

/// The AppView queries a test's viewer made.
actor Calls {
    var all: [(String, [(String, String)])] = []
    func add(_ lxm: String, _ parameters: [(String, String)]) { all.append((lxm, parameters)) }
}
