import NIOCore
import NIOHTTP1

/// The XRPC-shaped answers the guard writes itself, before or instead of a handler: `{"error","message"}` with
/// `Connection: close` (every one of them ends the connection).
enum GuardResponse {
    /// The JSON body.
    /// - Parameters:
    ///   - error: the XRPC error name.
    ///   - message: the message for people.
    static func body(error: String, message: String) -> ByteBuffer {
        // Both strings are fixed ASCII texts of this module: nothing to escape.
        ByteBuffer(string: #"{"error":"\#(error)","message":"\#(message)"}"#)
    }

    /// The response head for ``body(error:message:)``.
    /// - Parameters:
    ///   - status: the status.
    ///   - contentLength: the body's length.
    ///   - extraHeaders: more header fields (`Retry-After`).
    static func head(
        _ status: HTTPResponseStatus, contentLength: Int, extraHeaders: [(String, String)] = []
    ) -> HTTPResponseHead {
        var headers = HTTPHeaders([
            ("content-type", "application/json; charset=utf-8"),
            ("content-length", String(contentLength)),
            ("connection", "close"),
        ])
        headers.add(contentsOf: extraHeaders)
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    /// A whole response as bytes, for writing below the HTTP encoder.
    /// - Parameters:
    ///   - status: the status.
    ///   - error: the XRPC error name.
    ///   - message: the message for people.
    ///   - extraHeaders: more header fields.
    static func bytes(
        _ status: HTTPResponseStatus, error: String, message: String, extraHeaders: [(String, String)] = []
    ) -> ByteBuffer {
        let body = body(error: error, message: message)
        let head = head(status, contentLength: body.readableBytes, extraHeaders: extraHeaders)
        var text = "HTTP/1.1 \(head.status.code) \(head.status.reasonPhrase)\r\n"
        for (name, value) in head.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        var buffer = ByteBuffer(string: text)
        buffer.writeImmutableBuffer(body)
        return buffer
    }

    /// The status and message for a request the HTTP decoder could not parse.
    /// - Parameters:
    ///   - error: the decoder's error.
    static func forParseError(_ error: HTTPParserError) -> (status: HTTPResponseStatus, message: String) {
        switch error {
        case .headerOverflow: (.requestHeaderFieldsTooLarge, "Request header fields too large")
        case .invalidVersion: (.httpVersionNotSupported, "HTTP version not supported")
        case .invalidContentLength, .unexpectedContentLength:
            (.badRequest, "Malformed request: invalid or conflicting Content-Length")
        case .invalidChunkSize: (.badRequest, "Malformed request: invalid chunked encoding")
        case .invalidURL: (.badRequest, "Malformed request: invalid URL")
        default: (.badRequest, "Malformed HTTP request")
        }
    }
}
