import ATCore
import Hummingbird

/// Answers `/xrpc/<nsid>` requests that no handler claimed.
///
/// As the reference's xrpc-server catch-all: a method whose lexicon is known, called with the wrong HTTP method, is
/// 400 `InvalidRequest` "Incorrect HTTP method (GET) expected POST"; any other syntactically valid NSID this server
/// does not serve gets `MethodNotImplemented`; anything else is `NotFound`. A subscription (`subscribeRepos`) asked
/// for without a WebSocket upgrade is told so.
enum XRPCCatchall {
    static func register(on router: Router<some RequestContext>) {
        let handler: @Sendable (Request, any RequestContext) throws -> Response = { request, _ in
            let name = request.xrpcMethod ?? ""
            guard (try? NSID(name)) != nil else {
                throw XRPCError.notFound("Not Found", name: XRPCErrorName.notFound)
            }
            if let schema = XRPCMethodSchema(nsid: name) {
                try checkMethod(request.method, for: schema)
            }
            throw XRPCError.methodNotImplemented(name)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("/xrpc/{nsid}", method: method) { request, context in try handler(request, context) }
        }
    }

    /// Throws the reference's answer when `method` is not the one `schema`'s kind is called with.
    static func checkMethod(_ method: HTTPRequest.Method, for schema: XRPCMethodSchema) throws {
        switch schema.kind {
        case .query where method != .get && method != .head:
            throw XRPCError.invalidRequest("Incorrect HTTP method (\(method.rawValue)) expected GET")
        case .procedure where method != .post:
            throw XRPCError.invalidRequest("Incorrect HTTP method (\(method.rawValue)) expected POST")
        case .subscription:
            throw XRPCError.invalidRequest("\(schema.nsid) is a subscription: open it as a WebSocket")
        default:
            break
        }
    }
}
