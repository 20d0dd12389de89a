import Hummingbird

/// The `com.atproto.server.*` methods.
struct ComAtprotoServer: Sendable {
    let configuration: PDSConfiguration

    /// Registers this namespace's methods on the router.
    func register(on router: Router<some RequestContext>) {
        router.get("/xrpc/com.atproto.server.describeServer") { _, _ in describeServer() }
    }
}
