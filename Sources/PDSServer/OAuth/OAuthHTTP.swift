import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// HTTP plumbing the OAuth routes share: request bodies (form or JSON), cookies, and response builders.
enum OAuthHTTP {
    /// The largest body an OAuth endpoint or page form accepts.
    static let bodyLimit = 64 * 1024

    /// The body's parameters: `application/x-www-form-urlencoded` (or JSON with string values). A repeated
    /// parameter is refused (RFC 6749 §3.1).
    static func form(_ request: Request) async throws(OAuthError) -> [String: String] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: bodyLimit)
        } catch {
            throw .invalidRequest("The request body is too large")
        }
        let bytes = Array(buffer.readableBytesView)
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("application/json") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw .invalidRequest("Invalid JSON body")
            }
            var out: [String: String] = [:]
            for (key, value) in object {
                if let string = value as? String {
                    out[key] = string
                } else {
                    throw .invalidRequest("Parameter \(key) must be a string")
                }
            }
            return out
        }
        guard type.isEmpty || type.hasPrefix("application/x-www-form-urlencoded") else {
            throw .invalidRequest("Unsupported content type")
        }
        return try parseURLEncoded(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses `a=b&c=d` (`+` is a space).
    static func parseURLEncoded(_ text: String) throws(OAuthError) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]) else { throw .invalidRequest("Malformed form body") }
            guard let value = parts.count == 2 ? decode(parts[1]) : "" else {
                throw .invalidRequest("Malformed form body")
            }
            guard out[key] == nil else { throw .invalidRequest("Parameter \(key) is repeated") }
            if !value.isEmpty { out[key] = value }
        }
        return out
    }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The query parameters of a request.
    static func query(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { out[String(key)] = String(value) }
        return out
    }

    /// The request's cookies.
    static func cookies(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for item in header.split(separator: ";") {
                let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, out[String(parts[0])] == nil { out[String(parts[0])] = String(parts[1]) }
            }
        }
        return out
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, `Secure` on https.
    static func setCookie(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax\(secure ? "; Secure" : "")"
    }

    /// A JSON response for the OAuth endpoints: `no-store`, CORS open (browser apps call them from their origin).
    static func json(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var fields: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        fields.append(contentsOf: corsHeaders)
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// CORS headers for the OAuth JSON endpoints.
    static let corsHeaders: HTTPFields = [
        .accessControlAllowOrigin: "*",
        .accessControlExposeHeaders: "DPoP-Nonce, WWW-Authenticate",
    ]

    /// The answer to a CORS preflight.
    static func preflight() -> Response {
        var fields = corsHeaders
        fields[.accessControlAllowMethods] = "GET, POST, OPTIONS"
        fields[.accessControlAllowHeaders] = "Content-Type, DPoP, Authorization"
        fields[.accessControlMaxAge] = "86400"
        return Response(status: .noContent, headers: fields)
    }

    /// The content security policy of the authorization pages: no scripts, nothing loaded from elsewhere.
    static let pagePolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"

    /// An HTML page with the security headers the authorization pages need: no framing, no caching, and
    /// `policy` (by default ``pagePolicy``) and `referrerPolicy`.
    static func html(
        _ page: String, status: HTTPResponse.Status = .ok, cookies: [String] = [], policy: String = pagePolicy,
        referrerPolicy: String = "same-origin"
    ) -> Response {
        var fields: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .contentSecurityPolicy: policy,
            HTTPField.Name("X-Frame-Options")!: "DENY", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: referrerPolicy,
        ]
        for cookie in cookies { fields.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// A 303 redirect (a form answered by sending the browser elsewhere).
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var fields: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for cookie in cookies { fields.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: fields)
    }
}
