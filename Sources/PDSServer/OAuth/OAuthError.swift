import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An OAuth error response (RFC 6749 §5.2, RFC 9449): `{"error", "error_description"}` with its status, and for
/// DPoP and resource errors a `WWW-Authenticate` challenge. Thrown by the authorization server's endpoints.
package struct OAuthError: Error, HTTPResponseError, Sendable, Equatable {
    /// The HTTP status.
    package var status: HTTPResponse.Status
    /// The OAuth error code (`invalid_request`, `invalid_grant`, `use_dpop_nonce`, …).
    package var code: String
    /// A description safe to show the client.
    package var description: String
    /// Whether the response carries `WWW-Authenticate: DPoP error=…` (DPoP proof and nonce errors).
    package var dpopChallenge: Bool = false

    package static func invalidRequest(_ description: String) -> Self {
        .init(status: .badRequest, code: "invalid_request", description: description)
    }

    package static func invalidGrant(_ description: String) -> Self {
        .init(status: .badRequest, code: "invalid_grant", description: description)
    }

    package static func invalidClient(_ description: String) -> Self {
        .init(status: .badRequest, code: "invalid_client", description: description)
    }

    package static func invalidClientMetadata(_ description: String) -> Self {
        .init(status: .badRequest, code: "invalid_client_metadata", description: description)
    }

    package static func invalidScope(_ description: String) -> Self {
        .init(status: .badRequest, code: "invalid_scope", description: description)
    }

    package static func invalidRedirectURI(_ description: String) -> Self {
        .init(status: .badRequest, code: "invalid_redirect_uri", description: description)
    }

    package static func invalidDPoPProof(_ description: String) -> Self {
        .init(status: .badRequest, code: "invalid_dpop_proof", description: description, dpopChallenge: true)
    }

    /// 400 `use_dpop_nonce` (RFC 9449 §8): the client must retry with the `DPoP-Nonce` the response carries.
    package static func useDPoPNonce(_ description: String) -> Self {
        .init(status: .badRequest, code: "use_dpop_nonce", description: description, dpopChallenge: true)
    }

    package static func invalidToken(_ description: String) -> Self {
        .init(status: .unauthorized, code: "invalid_token", description: description, dpopChallenge: true)
    }

    package static func accessDenied(_ description: String) -> Self {
        .init(status: .forbidden, code: "access_denied", description: description)
    }

    /// The `WWW-Authenticate` value for a DPoP challenge.
    package var challenge: String {
        let escaped = description.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
            of: "\"", with: "\\\"")
        return #"DPoP error="\#(code)", error_description="\#(escaped)", algs="ES256 ES256K""#
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONSerialization.data(
            withJSONObject: ["error": code, "error_description": description], options: [.sortedKeys])
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        if dpopChallenge { headers[.wwwAuthenticate] = challenge }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
