import Hummingbird
import Logging

extension AppBskyFeed {
    /// `app.bsky.feed.getAuthorFeed` (access tokens and app passwords): proxied to the AppView; on the caller's own
    /// feed, the local posts are inserted and the caller's author views show its newest profile.
    func getAuthorFeed(_ request: Request, logger: Logger) async throws -> Response {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, oauth: .appView("app.bsky.feed.getAuthorFeed"))
        return try await readAfterWrite.respond(
            request, caller: caller.did, lxm: "app.bsky.feed.getAuthorFeed", munge: ReadAfterWrite.getAuthorFeed,
            logger: logger)
    }
}
