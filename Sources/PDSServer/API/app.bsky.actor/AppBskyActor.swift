import ATCore
import ActorStore
import Hummingbird
import Lexicon

/// The `app.bsky.actor.*` methods a PDS answers itself: the account's preferences, kept in its actor store
/// (`account_pref`, the `app.bsky` namespace), which work with no AppView configured (the reference serves them only
/// when one is); and the profiles, proxied to the AppView with read-after-write (``ReadAfterWrite``).
struct AppBskyActor: Sendable {
    /// Verifies the caller's credentials.
    let auth: AuthVerifier
    /// The actor stores.
    let actorStore: ActorStore
    /// Proxies the profile methods and patches the caller's newest profile in.
    let readAfterWrite: ReadAfterWrite

    /// The preference namespace these methods read and replace.
    static let namespace = "app.bsky"

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        let prefix = "/xrpc/app.bsky.actor."
        router.get("\(prefix)getPreferences") { request, _ in AuthHeaders.wrap(try await getPreferences(request)) }
        router.post("\(prefix)putPreferences") { request, _ in
            try await putPreferences(request)
            return AuthHeaders.empty()
        }
        router.get("\(prefix)getProfile") { request, context in try await getProfile(request, logger: context.logger) }
        router.get("\(prefix)getProfiles") { request, context in
            try await getProfiles(request, logger: context.logger)
        }
    }
}
