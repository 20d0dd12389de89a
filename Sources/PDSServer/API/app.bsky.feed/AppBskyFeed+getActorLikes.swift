import Hummingbird
import Logging

extension AppBskyFeed {
    /// `app.bsky.feed.getActorLikes` (access tokens and app passwords): proxied to the AppView; the caller's author
    /// views show its newest profile.
    func getActorLikes(_ request: Request, logger: Logger) async throws -> Response {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, oauth: .appView("app.bsky.feed.getActorLikes"))
        return try await readAfterWrite.respond(
            request, caller: caller.did, lxm: "app.bsky.feed.getActorLikes", munge: ReadAfterWrite.getActorLikes,
            logger: logger)
    }
}
