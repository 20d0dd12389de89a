import Foundation
import HTTPTypes

/// Why a proxied request failed on this side (an upstream's own error answer is not one of these: it is forwarded,
/// see ``UpstreamError``). Mapped to XRPC errors in `XRPCError+mapping.swift`.
package enum PipethroughError: Error, Sendable {
    /// Only GET, HEAD and POST are proxied (400 `InvalidRequest`).
    case unsupportedMethod
    /// The method may not be proxied (400 `InvalidToken` "Bad token method", the reference's answer for protected
    /// methods and for privileged methods called with a non-privileged app password).
    case badTokenMethod
    /// No service is configured for the method and no `atproto-proxy` header names one (501
    /// `MethodNotImplemented`, naming the variable to set; the reference answers 400 `InvalidRequest`).
    case noServiceConfigured(lxm: String, variable: String)
    /// The `atproto-proxy` header is malformed, or its DID or service cannot be found (400 `InvalidRequest`).
    case invalidProxyHeader(String)
    /// Resolving the `atproto-proxy` DID failed (502 `UpstreamFailure`).
    case proxyDIDUnresolvable(did: String, cause: any Error)
    /// The SSRF guard refused the upstream: plain http, or an address that is not public unicast (502
    /// `UpstreamFailure`).
    case forbiddenUpstream(origin: String, reason: String)
    /// The upstream could not be reached, or failed before its response head (502 `UpstreamFailure` "Upstream
    /// service unreachable").
    case unreachable(origin: String, cause: any Error)
    /// The upstream did not send its response head within `PDS_PROXY_HEADERS_TIMEOUT` (502 `UpstreamFailure`).
    case timedOut(origin: String)
    /// The upstream's response is larger than `PDS_PROXY_MAX_RESPONSE_SIZE` (502 `UpstreamFailure`).
    case responseTooLarge(limit: Int)
}

/// An upstream's error answer (status ≥ 400), forwarded as the reference's `PipethroughUpstreamError`: its status
/// (any 5xx becomes 502 `UpstreamFailure`), its XRPC error name and message when its body is JSON, and the
/// non-content headers the reference forwards.
package struct UpstreamError: Error, Sendable, Equatable {
    /// The upstream's status.
    package var status: Int
    /// The `error` of its JSON body, if any.
    package var error: String?
    /// The `message` of its JSON body, if any.
    package var message: String?
    /// The forwarded headers (`atproto-repo-rev`, `atproto-content-labelers`, `retry-after`).
    package var headers: HTTPFields

    /// The XRPC error forwarded to the client.
    package var xrpcError: XRPCError {
        if status >= 500 {
            return XRPCError(
                status: .badGateway, name: XRPCErrorName.upstreamFailure, message: message ?? "Upstream Failure",
                headers: headers)
        }
        let (name, text) = Self.responseType(status)
        return XRPCError(
            status: HTTPResponse.Status(code: status), name: error ?? name, message: message ?? text, headers: headers)
    }

    /// The XRPC response type name and text of a status (`@atproto/xrpc`'s `ResponseType`), for upstream errors
    /// without a JSON body.
    static func responseType(_ status: Int) -> (name: String, text: String) {
        switch status {
        case 401: ("AuthenticationRequired", "Authentication Required")
        case 403: ("Forbidden", "Forbidden")
        case 404: ("XRPCNotSupported", "XRPC Not Supported")
        case 406: ("NotAcceptable", "Not Acceptable")
        case 413: ("PayloadTooLarge", "Payload Too Large")
        case 415: ("UnsupportedMediaType", "Unsupported Media Type")
        case 429: ("RateLimitExceeded", "Rate Limit Exceeded")
        default: ("InvalidRequest", "Invalid Request")
        }
    }

    /// The `error` and `message` of a JSON error body (`(nil, nil)` when it is not one).
    static func parseBody(_ bytes: [UInt8]) -> (error: String?, message: String?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return (nil, nil)
        }
        return (object["error"] as? String, object["message"] as? String)
    }
}
