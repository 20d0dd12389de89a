import ATCore
import Hummingbird

extension AppBskyFeed {
    /// `app.bsky.feed.getFeed` (access tokens and app passwords): the AppView's answer, streamed, with a service JWT
    /// for the feed's generator; an unknown feed is the AppView's error, passed on.
    func getFeed(_ request: Request) async throws -> Response {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, oauth: .appView("app.bsky.feed.getFeed"))
        let feed = try XRPCParameters(request).parseRequired("feed") { try ATURI($0) }
        return try await feeds.getFeed(request, caller: caller.did, feed: feed).response(adding: AuthHeaders.fields)
    }
}
