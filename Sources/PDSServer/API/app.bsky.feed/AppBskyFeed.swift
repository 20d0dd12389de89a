import Hummingbird

/// The `app.bsky.feed.*` methods a PDS answers itself: the feeds and threads that show the caller's own posts,
/// proxied to the AppView with read-after-write (``ReadAfterWrite``), and `getFeed`, whose service JWT is addressed to
/// the feed generator (``FeedProxy``). The rest of the namespace goes through the catch-all proxy.
struct AppBskyFeed: Sendable {
    /// Verifies the caller's credentials.
    let auth: AuthVerifier
    /// Proxies and patches the caller's newest records in.
    let readAfterWrite: ReadAfterWrite
    /// Reads a feed's generator record and proxies `getFeed`.
    let feeds: FeedProxy

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        let prefix = "/xrpc/app.bsky.feed."
        router.get("\(prefix)getTimeline") { request, context in try await getTimeline(request, logger: context.logger)
        }
        router.get("\(prefix)getAuthorFeed") { request, context in
            try await getAuthorFeed(request, logger: context.logger)
        }
        router.get("\(prefix)getActorLikes") { request, context in
            try await getActorLikes(request, logger: context.logger)
        }
        router.get("\(prefix)getPostThread") { request, context in
            try await getPostThread(request, logger: context.logger)
        }
        router.get("\(prefix)getFeed") { request, _ in try await getFeed(request) }
    }
}
