import Hummingbird
import Logging

extension AppBskyFeed {
    /// `app.bsky.feed.getTimeline` (access tokens and app passwords): proxied to the AppView; the caller's posts
    /// newer than the page's last item are inserted in time order.
    func getTimeline(_ request: Request, logger: Logger) async throws -> Response {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, oauth: .appView("app.bsky.feed.getTimeline"))
        return try await readAfterWrite.respond(
            request, caller: caller.did, lxm: "app.bsky.feed.getTimeline", munge: ReadAfterWrite.getTimeline,
            logger: logger)
    }
}
