import ArgumentParser

/// Why an admin command failed: one line for people on stderr, and a distinct exit code (STYLE C20, after
/// `sysexits.h`).
enum AdminFailure: Error, Equatable, CustomStringConvertible {
    /// The PDS did not answer: connection refused, DNS, TLS, timeout (exit 69, `EX_UNAVAILABLE`).
    case unreachable(url: String, reason: String)
    /// The PDS refused the admin password (exit 77, `EX_NOPERM`).
    case adminPasswordRejected(url: String)
    /// No account, invite code, … by that name (exit 1).
    case notFound(String)
    /// The configuration is incomplete or invalid (exit 78, `EX_CONFIG`).
    case configuration(String)
    /// The PDS answered with an XRPC error (exit 1).
    case server(url: String, method: String, status: Int, error: String, message: String?)
    /// The PDS answered something that is not the method's output (exit 76, `EX_PROTOCOL`).
    case badResponse(url: String, method: String, detail: String)
    /// The command line cannot be acted on: a name that is neither a DID nor a handle, a deletion without `--yes`
    /// off a terminal (exit 64, `EX_USAGE`).
    case usage(String)
    /// Anything else, said as is (exit 1).
    case other(String)

    var description: String {
        switch self {
        case .unreachable(let url, let reason): "cannot reach the PDS at \(url): \(reason)"
        case .adminPasswordRejected(let url):
            "admin password rejected by \(url) (check PDS_ADMIN_PASSWORD, or --env-file)"
        case .notFound(let message), .configuration(let message), .usage(let message), .other(let message): message
        case .server(let url, let method, _, "MethodNotImplemented", _):
            "\(url) does not implement \(method) yet (MethodNotImplemented)"
        case .server(let url, let method, let status, let error, let message):
            "\(method) failed at \(url): \(error)\(message.map { ": \($0)" } ?? "") (HTTP \(status))"
        case .badResponse(let url, let method, let detail): "unexpected answer to \(method) from \(url): \(detail)"
        }
    }

    /// The process exit code.
    var exitCode: Int32 {
        switch self {
        case .unreachable: 69
        case .adminPasswordRejected: 77
        case .configuration: 78
        case .usage: 64
        case .badResponse: 76
        case .notFound, .server, .other: 1
        }
    }

    /// The XRPC error name, for a server error.
    var xrpcError: String? {
        if case .server(_, _, _, let error, _) = self { return error }
        return nil
    }
}
