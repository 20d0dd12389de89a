import Hummingbird

extension Request {
    /// The method name of an `/xrpc/<nsid>` request (a trailing `/` dropped, as the router does), `nil` for other
    /// paths. Not checked to be a valid NSID.
    var xrpcMethod: String? { Self.xrpcMethod(path: uri.path) }

    /// The method name in an `/xrpc/<nsid>` path, `nil` for other paths.
    static func xrpcMethod(path: String) -> String? {
        guard path.hasPrefix("/xrpc/") else { return nil }
        var name = path.dropFirst("/xrpc/".count)
        if name.hasSuffix("/") { name = name.dropLast() }
        return String(name)
    }
}
