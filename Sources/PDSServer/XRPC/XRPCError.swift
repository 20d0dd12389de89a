import Foundation
import HTTPTypes
import Hummingbird

/// An XRPC error response: `{"error": name, "message": message}` with an HTTP status.
package struct XRPCError: HTTPResponseError, Sendable, Equatable {
    /// The HTTP status.
    package var status: HTTPResponse.Status
    /// The XRPC error name, e.g. `InvalidRequest`.
    package var name: String
    /// A human-readable message, safe to show to clients.
    package var message: String?
    /// Extra response headers (an upstream's `retry-after`, for example).
    package var headers: HTTPFields

    /// Creates an error.
    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - name: the XRPC error name.
    ///   - message: the message.
    ///   - headers: extra response headers.
    package init(status: HTTPResponse.Status, name: String, message: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.name = name
        self.message = message
        self.headers = headers
    }

    /// 400 `InvalidRequest` (or another name).
    package static func invalidRequest(_ message: String? = nil, name: String = XRPCErrorName.invalidRequest) -> Self {
        .init(status: .badRequest, name: name, message: message)
    }

    /// 401 `AuthenticationRequired` (or another name).
    package static func authRequired(_ message: String? = nil, name: String = XRPCErrorName.authenticationRequired) -> Self {
        .init(status: .unauthorized, name: name, message: message)
    }

    /// 403 `Forbidden`.
    package static func forbidden(_ message: String? = nil, name: String = XRPCErrorName.forbidden) -> Self {
        .init(status: .forbidden, name: name, message: message)
    }

    /// 404 `NotFound` (or another name).
    package static func notFound(_ message: String? = nil, name: String = XRPCErrorName.notFound) -> Self {
        .init(status: .notFound, name: name, message: message)
    }

    /// 501 `MethodNotImplemented`: the method exists in atproto but this server does not serve it (yet).
    package static func methodNotImplemented(_ nsid: String) -> Self {
        .init(status: .notImplemented, name: XRPCErrorName.methodNotImplemented, message: "Method Not Implemented: \(nsid)")
    }

    /// 500 with a generic message: internal details are logged, never returned.
    package static let internalServerError = Self(
        status: .internalServerError, name: XRPCErrorName.internalServerError, message: "Internal Server Error")

    /// 503 `ServiceUnavailable`.
    package static func serviceUnavailable(_ message: String? = nil) -> Self {
        .init(status: .serviceUnavailable, name: XRPCErrorName.serviceUnavailable, message: message)
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        try response(adding: [:])
    }

    /// The error response with extra headers (for example `content-range` on a 416).
    /// - Parameters:
    ///   - headers: the extra headers.
    package func response(adding headers: HTTPFields) throws -> Response {
        var body: [String: String] = ["error": name]
        if let message { body["message"] = message }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        var fields: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        fields.append(contentsOf: self.headers)
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
