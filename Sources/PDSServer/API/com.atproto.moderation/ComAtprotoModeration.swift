import Hummingbird

/// The `com.atproto.moderation.*` methods.
struct ComAtprotoModeration: Sendable {
    /// Forwards reports to the report service.
    let pipethrough: Pipethrough

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<PDSRequestContext>) {
        router.post("/xrpc/com.atproto.moderation.createReport") { request, _ in try await createReport(request) }
    }
}
