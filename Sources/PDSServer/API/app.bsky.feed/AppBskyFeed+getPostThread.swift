import Hummingbird
import Logging

extension AppBskyFeed {
    /// `app.bsky.feed.getPostThread` (access tokens and app passwords): proxied to the AppView; the caller's new
    /// replies are inserted into the thread, and a post of the caller the AppView does not know yet is shown from the
    /// local records.
    func getPostThread(_ request: Request, logger: Logger) async throws -> Response {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, oauth: .appView("app.bsky.feed.getPostThread"))
        return try await readAfterWrite.postThread(request, caller: caller.did, logger: logger)
    }
}
