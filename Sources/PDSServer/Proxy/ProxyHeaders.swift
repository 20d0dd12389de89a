import HTTPTypes
import NIOHTTP1

/// The headers a proxied request and its response carry across, exactly the reference's lists (`pipethrough.ts`);
/// everything else (cookies, the caller's own `authorization`, hop-by-hop headers, …) stays on its side.
enum ProxyHeaders {
    /// `atproto-proxy`: the `<did>#<serviceId>` a client asks its request to be proxied to.
    static let atprotoProxy = HTTPField.Name("atproto-proxy")!

    /// Request headers forwarded as they are.
    static let request: [HTTPField.Name] = [
        .acceptLanguage, HTTPField.Name("atproto-accept-labelers")!, HTTPField.Name("x-bsky-topics")!,
    ]
    /// Request headers forwarded with a body (POST); its length goes with the body.
    static let requestBody: [HTTPField.Name] = [.contentType, .contentEncoding]
    /// Response headers about the body, forwarded with a successful response.
    static let responseContent: [HTTPField.Name] = [
        .contentLength, .contentEncoding, .contentType, .contentLanguage,
    ]
    /// Response headers forwarded with every response, errors included.
    static let response: [HTTPField.Name] = [
        HTTPField.Name("atproto-repo-rev")!, HTTPField.Name("atproto-content-labelers")!, .retryAfter,
    ]

    /// The upstream request's headers, from the client's.
    /// - Parameters:
    ///   - headers: the client's request headers.
    ///   - withBody: whether the body is forwarded (its `content-type` and `content-encoding` go with it).
    ///   - acceptEncoding: the `accept-encoding` to send; the client's (default `identity`) when `nil`.
    static func upstreamRequest(from headers: HTTPFields, withBody: Bool, acceptEncoding: String? = nil)
        -> HTTPHeaders
    {
        var out = HTTPHeaders()
        out.add(name: "accept-encoding", value: acceptEncoding ?? headers[.acceptEncoding] ?? "identity")
        for name in request + (withBody ? requestBody : []) {
            let values = headers[values: name]
            if !values.isEmpty { out.add(name: name.canonicalName, value: values.joined(separator: ",")) }
        }
        return out
    }

    /// The headers of the client's response, from the upstream's.
    /// - Parameters:
    ///   - headers: the upstream's response headers.
    ///   - content: whether to include the body's headers (`content-*`), for a successful response.
    static func clientResponse(from headers: HTTPHeaders, content: Bool) -> HTTPFields {
        var out = HTTPFields()
        for name in (content ? responseContent : []) + response {
            let values = headers[name.canonicalName]
            if !values.isEmpty { out[name] = values.joined(separator: ",") }
        }
        return out
    }
}
