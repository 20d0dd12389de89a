import ATCore
import ActorStore

/// Patches one method's AppView answer with the caller's records written since the AppView's revision.
/// - Parameters:
///   - viewer: builds the local views.
///   - original: the AppView's answer (valid against the method's output schema).
///   - local: the caller's records newer than the AppView's revision.
///   - requester: the caller.
/// - Returns: the answer sent to the client.
package typealias ReadAfterWriteMunge =
    @Sendable (
        _ viewer: LocalViewer, _ original: JSONValue, _ local: LocalRecords, _ requester: DID
    ) async throws -> JSONValue

/// The munges of the read-after-write methods, as the reference's handlers (`src/api/app/bsky/*`).
extension ReadAfterWrite {
    /// `app.bsky.actor.getProfile`: the caller's own profile gets the local profile record's `displayName`,
    /// `description`, `avatar` and `banner`.
    package static let getProfile: ReadAfterWriteMunge = { viewer, original, local, requester in
        guard let profile = local.profile, original["did"]?.string == requester.rawValue else { return original }
        return viewer.updateProfileDetailed(original, profile.value)
    }

    /// `app.bsky.actor.getProfiles`: as ``getProfile`` for the caller's entry.
    package static let getProfiles: ReadAfterWriteMunge = { viewer, original, local, requester in
        guard let profile = local.profile, let profiles = original["profiles"]?.array else { return original }
        return original.setting(
            "profiles",
            .array(
                profiles.map {
                    $0["did"]?.string == requester.rawValue ? viewer.updateProfileDetailed($0, profile.value) : $0
                }))
    }

    /// `app.bsky.feed.getTimeline`: the local posts newer than the page's last item are inserted in time order.
    package static let getTimeline: ReadAfterWriteMunge = { viewer, original, local, _ in
        let feed = try await viewer.insertPosts(local.posts, into: original["feed"]?.array ?? [])
        return original.setting("feed", .array(feed))
    }

    /// `app.bsky.feed.getAuthorFeed`: on the caller's own feed only, the caller's author views get the local
    /// profile, then the local posts are inserted as in ``getTimeline``.
    package static let getAuthorFeed: ReadAfterWriteMunge = { viewer, original, local, requester in
        var feed = original["feed"]?.array ?? []
        guard isUsersFeed(feed, requester) else { return original }
        if let profile = local.profile { feed = updateAuthors(feed, viewer, profile.value, requester) }
        feed = try await viewer.insertPosts(local.posts, into: feed)
        return original.setting("feed", .array(feed))
    }

    /// `app.bsky.feed.getActorLikes`: the caller's author views get the local profile.
    package static let getActorLikes: ReadAfterWriteMunge = { viewer, original, local, requester in
        guard let profile = local.profile, let feed = original["feed"]?.array else { return original }
        return original.setting("feed", .array(updateAuthors(feed, viewer, profile.value, requester)))
    }

    /// Whether an author feed is the caller's: its first item is the caller's post, or the caller's repost.
    static func isUsersFeed(_ feed: [JSONValue], _ requester: DID) -> Bool {
        guard let first = feed.first else { return false }
        guard let reason = first["reason"] else {
            return first["post"]?["author"]?["did"]?.string == requester.rawValue
        }
        return reason.lexType == "app.bsky.feed.defs#reasonRepost" && reason["by"]?["did"]?.string == requester.rawValue
    }

    /// The feed items with the caller's post authors updated from the profile record.
    static func updateAuthors(_ feed: [JSONValue], _ viewer: LocalViewer, _ profile: LexValue, _ requester: DID)
        -> [JSONValue]
    {
        feed.map { item in
            guard let post = item["post"], let author = post["author"], author["did"]?.string == requester.rawValue
            else { return item }
            return item.setting("post", post.setting("author", viewer.updateProfileViewBasic(author, profile)))
        }
    }
}
