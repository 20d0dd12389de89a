import ActorStore
import ATCore

/// Builds the views of the caller's own records that read-after-write patches into an AppView's answer (the
/// reference's `LocalViewer`): post views with the caller as author, profile views updated from the local profile
/// record, and embed views, with image URLs from ``ImageURLBuilder``.
///
/// Everything it needs is read before munging starts, so it is a plain value (and the munging is testable JSON in,
/// JSON out); only record embeds ask the AppView (``appView``).
package struct LocalViewer: Sendable {
    /// Calls a query of the configured AppView as the caller (`lxm`, query parameters) and returns its JSON answer.
    package typealias AppViewQuery =
        @Sendable (_ lxm: String, _ parameters: [(String, String)]) async throws
        -> JSONValue

    /// The caller.
    package let did: DID
    /// The caller's `ProfileViewBasic` (`did`, `handle`, `displayName`, `avatar`), or `nil` when the account is gone
    /// (no post view is made then).
    package let author: JSONValue?
    /// Image URLs.
    package let images: ImageURLBuilder
    /// The AppView, for the views of embedded records; `nil` when none is configured (they are then "not found").
    package let appView: AppViewQuery?

    /// Creates a viewer.
    /// - Parameters:
    ///   - did: the caller.
    ///   - handle: the caller's handle (`handle.invalid` when it has none), or `nil` when the account is gone.
    ///   - profile: the caller's current profile record.
    ///   - images: image URLs.
    ///   - appView: the AppView, for embedded records.
    package init(did: DID, handle: String?, profile: LexValue?, images: ImageURLBuilder, appView: AppViewQuery?) {
        self.did = did
        self.images = images
        self.appView = appView
        guard let handle else {
            self.author = nil
            return
        }
        var author: [String: JSONValue] = ["did": .string(did.rawValue), "handle": .string(handle)]
        author["displayName"] = profile?["displayName"]?.string.map(JSONValue.string)
        author["avatar"] = Self.blobCID(profile?["avatar"]).map {
            .string(images.build("avatar", did: did.rawValue, cid: $0))
        }
        self.author = .object(author)
    }

    /// The CID of a blob reference (either form), as text.
    static func blobCID(_ value: LexValue?) -> String? {
        value.flatMap(BlobRef.init).map(\.ref.description)
    }

    /// The image URL of a blob of the caller.
    func imageURL(_ preset: String, _ blob: LexValue?) throws -> JSONValue {
        guard let cid = Self.blobCID(blob) else { throw ReadAfterWriteError.malformedRecord("not a blob reference") }
        return .string(images.build(preset, did: did.rawValue, cid: cid))
    }

    // MARK: - Profiles

    /// `view` with the profile record's `displayName` and `avatar` (reference `updateProfileViewBasic`).
    package func updateProfileViewBasic(_ view: JSONValue, _ record: LexValue) -> JSONValue {
        view.setting("displayName", record["displayName"]?.string.map(JSONValue.string))
            .setting("avatar", try? record["avatar"].map { try imageURL("avatar", $0) })
    }

    /// `view` with the profile record's `displayName`, `avatar` and `description` (reference `updateProfileView`).
    package func updateProfileView(_ view: JSONValue, _ record: LexValue) -> JSONValue {
        updateProfileViewBasic(view, record)
            .setting("description", record["description"]?.string.map(JSONValue.string))
    }

    /// `view` with the profile record's `displayName`, `avatar`, `description` and `banner` (reference
    /// `updateProfileDetailed`).
    package func updateProfileDetailed(_ view: JSONValue, _ record: LexValue) -> JSONValue {
        updateProfileView(view, record)
            .setting("banner", try? record["banner"].map { try imageURL("banner", $0) })
    }

    // MARK: - Posts

    /// The `PostView` of one of the caller's posts (counts 0, as just after creation), or `nil` when the account is
    /// gone (reference `getPost`).
    package func postView(_ post: LocalRecord) async throws -> JSONValue? {
        guard let author else { return nil }
        var view: [String: JSONValue] = [
            "uri": .string(post.uri.rawValue), "cid": .string(post.cid.description), "author": author,
            "record": post.value.jsonValue, "indexedAt": .string(post.indexedAt),
            "likeCount": .number("0"), "replyCount": .number("0"), "repostCount": .number("0"),
            "quoteCount": .number("0"),
        ]
        view["embed"] = try await embedView(post.value["embed"])
        return .object(view)
    }

    /// Inserts the posts newer than the feed's last item into the feed as `{post}` items, each before the first
    /// item indexed before it (reference `formatAndInsertPostsInFeed`).
    /// - Parameters:
    ///   - feed: the AppView's `FeedViewPost`s, newest first.
    ///   - posts: the local posts, oldest revision first.
    package func insertPosts(_ posts: [LocalRecord], into feed: [JSONValue]) async throws -> [JSONValue] {
        guard !posts.isEmpty else { return feed }
        let lastTime = feed.last?["post"]?["indexedAt"]?.string ?? "1970-01-01T00:00:00.000Z"
        var feed = feed
        for post in posts.filter({ $0.indexedAt > lastTime }).reversed() {
            guard let view = try await postView(post) else { continue }
            let item = JSONValue.object(["post": view])
            if let index = feed.firstIndex(where: { ($0["post"]?["indexedAt"]?.string ?? "") < post.indexedAt }) {
                feed.insert(item, at: index)
            } else {
                feed.append(item)
            }
        }
        return feed
    }

    // MARK: - Embeds

    /// The view of a post's embed (images, external, record, record with media), `nil` for none or another kind
    /// (reference `formatPostEmbed`).
    func embedView(_ embed: LexValue?) async throws -> JSONValue? {
        guard let embed else { return nil }
        if embed.isType("app.bsky.embed.images") { return try imagesView(embed) }
        if embed.isType("app.bsky.embed.external") { return try externalView(embed) }
        if embed.isType("app.bsky.embed.record") { return try await recordView(embed) }
        if embed.isType("app.bsky.embed.recordWithMedia") {
            let media: JSONValue
            if let value = embed["media"], value.isType("app.bsky.embed.images") {
                media = try imagesView(value)
            } else if let value = embed["media"], value.isType("app.bsky.embed.external") {
                media = try externalView(value)
            } else {
                return nil
            }
            guard let record = embed["record"] else {
                throw ReadAfterWriteError.malformedRecord("embed without record")
            }
            return .object([
                "$type": .string("app.bsky.embed.recordWithMedia#view"), "record": try await recordView(record),
                "media": media,
            ])
        }
        return nil
    }

    /// `app.bsky.embed.images#view`.
    func imagesView(_ embed: LexValue) throws -> JSONValue {
        let images = try (embed["images"]?.array ?? []).map { image -> JSONValue in
            var view: [String: JSONValue] = [
                "thumb": try imageURL("feed_thumbnail", image["image"]),
                "fullsize": try imageURL("feed_fullsize", image["image"]),
            ]
            view["aspectRatio"] = image["aspectRatio"]?.jsonValue
            view["alt"] = image["alt"]?.jsonValue
            return .object(view)
        }
        return .object(["$type": .string("app.bsky.embed.images#view"), "images": .array(images)])
    }

    /// `app.bsky.embed.external#view`.
    func externalView(_ embed: LexValue) throws -> JSONValue {
        let external = embed["external"]
        var view: [String: JSONValue] = [:]
        for key in ["uri", "title", "description"] { view[key] = external?[key]?.jsonValue }
        if let thumb = external?["thumb"] { view["thumb"] = try imageURL("feed_thumbnail", thumb) }
        return .object(["$type": .string("app.bsky.embed.external#view"), "external": .object(view)])
    }

    /// `app.bsky.embed.record#view`: the embedded post, feed generator or list as the AppView shows it, else
    /// `#viewNotFound`.
    func recordView(_ embed: LexValue) async throws -> JSONValue {
        guard let uri = embed["record"]?["uri"]?.string else {
            throw ReadAfterWriteError.malformedRecord("record embed without uri")
        }
        let record =
            try await embeddedRecordView(uri)
            ?? .object([
                "$type": .string("app.bsky.embed.record#viewNotFound"), "uri": .string(uri), "notFound": .bool(true),
            ])
        return .object(["$type": .string("app.bsky.embed.record#view"), "record": record])
    }

    /// The AppView's view of an embedded record (reference `formatRecordEmbedInternal`); `nil` without an AppView,
    /// for another collection, or when the AppView has no such post.
    func embeddedRecordView(_ uri: String) async throws -> JSONValue? {
        guard let appView, let collection = (try? ATURI(uri))?.collection?.rawValue else { return nil }
        switch collection {
        case "app.bsky.feed.post":
            let answer = try await appView("app.bsky.feed.getPosts", [("uris", uri)])
            guard let post = answer["posts"]?.array?.first else { return nil }
            var view: [String: JSONValue] = ["$type": .string("app.bsky.embed.record#viewRecord")]
            view["uri"] = post["uri"]
            view["cid"] = post["cid"]
            view["author"] = post["author"]
            view["value"] = post["record"]
            view["labels"] = post["labels"]
            view["embeds"] = post["embed"].map { .array([$0]) }
            view["indexedAt"] = post["indexedAt"]
            return .object(view)
        case "app.bsky.feed.generator":
            let answer = try await appView("app.bsky.feed.getFeedGenerator", [("feed", uri)])
            return answer["view"]?.setting("$type", .string("app.bsky.feed.defs#generatorView"))
        case "app.bsky.graph.list":
            let answer = try await appView("app.bsky.graph.getList", [("list", uri)])
            return answer["list"]?.setting("$type", .string("app.bsky.graph.defs#listView"))
        default:
            return nil
        }
    }
}
