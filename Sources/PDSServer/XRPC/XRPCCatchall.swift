import ATCore
import Hummingbird

/// Answers `/xrpc/<nsid>` requests that no handler claimed.
///
/// A syntactically valid NSID that this server does not serve gets `MethodNotImplemented`; anything else is
/// `InvalidRequest`.
enum XRPCCatchall {
    static func register(on router: Router<some RequestContext>) {
        let handler: @Sendable (Request, any RequestContext) throws -> Response = { request, _ in
            let name = request.uri.path.dropFirst("/xrpc/".count)
            guard Self.isPlausibleNSID(name) else {
                throw XRPCError.notFound("Not Found", name: "NotFound")
            }
            throw XRPCError.methodNotImplemented(String(name))
        }
        router.get("/xrpc/{nsid}") { request, context in try handler(request, context) }
        router.post("/xrpc/{nsid}") { request, context in try handler(request, context) }
    }

    /// A cheap shape check (dotted segments of `[A-Za-z0-9-]`) used before the full NSID parser is wired in.
    static func isPlausibleNSID(_ name: Substring) -> Bool {
        let segments = name.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count >= 3, name.utf8.count <= 317 else { return false }
        return segments.allSatisfy { segment in
            !segment.isEmpty && segment.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                    || byte == 0x2d
            }
        }
    }
}
