import ATCore
import Hummingbird

/// Answers `/xrpc/<nsid>` requests that no handler claimed.
///
/// A syntactically valid NSID that this server does not serve gets `MethodNotImplemented`; anything else is
/// `NotFound`.
enum XRPCCatchall {
    static func register(on router: Router<some RequestContext>) {
        let handler: @Sendable (Request, any RequestContext) throws -> Response = { request, _ in
            let name = request.uri.path.dropFirst("/xrpc/".count)
            guard (try? NSID(name)) != nil else {
                throw XRPCError.notFound("Not Found", name: XRPCErrorName.notFound)
            }
            throw XRPCError.methodNotImplemented(String(name))
        }
        router.get("/xrpc/{nsid}") { request, context in try handler(request, context) }
        router.post("/xrpc/{nsid}") { request, context in try handler(request, context) }
    }
}
