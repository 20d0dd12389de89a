import Hummingbird
import Logging

extension AppBskyActor {
    /// `app.bsky.actor.getProfiles` (access tokens and app passwords): proxied to the AppView; the caller's own entry
    /// shows its profile record written since the AppView's revision.
    func getProfiles(_ request: Request, logger: Logger) async throws -> Response {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, oauth: .appView("app.bsky.actor.getProfiles"))
        return try await readAfterWrite.respond(
            request, caller: caller.did, lxm: "app.bsky.actor.getProfiles", munge: ReadAfterWrite.getProfiles,
            logger: logger)
    }
}
