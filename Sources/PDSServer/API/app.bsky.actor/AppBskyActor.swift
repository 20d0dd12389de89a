import ActorStore
import ATCore
import Hummingbird
import Lexicon

/// The `app.bsky.actor.*` methods a PDS answers itself: the account's preferences, kept in its actor store
/// (`account_pref`, the `app.bsky` namespace). They work with no AppView configured (the reference serves them only
/// when one is).
struct AppBskyActor: Sendable {
    /// Verifies the caller's credentials.
    let auth: AuthVerifier
    /// The actor stores.
    let actorStore: ActorStore

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
    }
}
