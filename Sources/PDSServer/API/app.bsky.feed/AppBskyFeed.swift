import ATCore
import Hummingbird

/// The `app.bsky.feed.*` methods this server answers itself rather than through the catch-all: `getFeed`, whose service
/// JWT is addressed to the feed generator (``FeedProxy``). The rest of the namespace is proxied.
struct AppBskyFeed: Sendable {
    /// Verifies the caller's credentials.
    let auth: AuthVerifier
    /// Reads the generator record and proxies the call.
    let feeds: FeedProxy

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        router.get("/xrpc/app.bsky.feed.getFeed") { request, _ in try await getFeed(request) }
    }

    /// `app.bsky.feed.getFeed` (access tokens and app passwords): the AppView's answer, streamed, with a service JWT
    /// for the feed's generator; an unknown feed is the AppView's error, passed on.
    func getFeed(_ request: Request) async throws -> Response {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard)
        let feed = try XRPCParameters(request).parseRequired("feed") { try ATURI($0) }
        return try await feeds.getFeed(request, caller: caller.did, feed: feed).response(adding: AuthHeaders.fields)
    }
}
