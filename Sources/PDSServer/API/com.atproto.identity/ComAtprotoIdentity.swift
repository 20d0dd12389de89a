import ActorStore
import ATCore
import ATCrypto
import Foundation
import Hummingbird
import Identity
import ServiceDB

/// The `com.atproto.identity.*` methods served locally.
struct ComAtprotoIdentity: Sendable {
    let services: PDSServices

    /// Registers this namespace's methods on the router.
    func register(on router: Router<some RequestContext>) {
        router.get("/xrpc/com.atproto.identity.resolveHandle") { request, _ in try await resolveHandle(request) }
    }
}
