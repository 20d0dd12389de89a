import Hummingbird
import Logging

extension AppBskyActor {
    /// `app.bsky.actor.getProfile` (access tokens and app passwords): proxied to the AppView; the caller's own profile
    /// shows its profile record written since the AppView's revision.
    func getProfile(_ request: Request, logger: Logger) async throws -> Response {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, oauth: .appView("app.bsky.actor.getProfile"))
        return try await readAfterWrite.respond(
            request, caller: caller.did, lxm: "app.bsky.actor.getProfile", munge: ReadAfterWrite.getProfile,
            logger: logger)
    }
}
