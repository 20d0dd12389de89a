import ATCore
import Hummingbird

/// Answers `/xrpc/<nsid>` requests that no handler claimed.
///
/// As the reference's xrpc-server catch-all: a method whose lexicon is known, called with the wrong HTTP method, is
/// 400 `InvalidRequest` "Incorrect HTTP method (GET) expected POST"; a syntactically valid NSID goes to the proxy
/// (``Pipethrough``), except the `com.atproto.*` methods the reference serves itself, which answer
/// `MethodNotImplemented` until this server serves them too (no AppView serves them); anything else is `NotFound`.
/// A subscription (`subscribeRepos`) asked for without a WebSocket upgrade is told so.
enum XRPCCatchall {
    /// Registers the catch-all route for every HTTP method.
    /// - Parameters:
    ///   - router: the router.
    ///   - pipethrough: the proxy for the methods this server does not serve.
    static func register(on router: Router<some RequestContext>, pipethrough: Pipethrough) {
        let handler: @Sendable (Request) async throws -> Response = { request in
            let name = request.xrpcMethod ?? ""
            guard (try? NSID(name)) != nil else {
                throw XRPCError.notFound("Not Found", name: XRPCErrorName.notFound)
            }
            if let schema = XRPCMethodSchema(nsid: name) {
                try checkMethod(request.method, for: schema)
            }
            guard XRPCMethodSets.isProxied(name) else { throw XRPCError.methodNotImplemented(name) }
            return try await pipethrough.forward(request, lxm: name)
        }
        for method in [HTTPRequest.Method.get, .head, .post, .put, .delete, .patch] {
            router.on("/xrpc/{nsid}", method: method) { request, _ in try await handler(request) }
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
