import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore

/// An upstream's successful answer (status < 400), its body not read yet: the catch-all streams it to the client
/// (``response(adding:)``); a local handler can read it instead (``collect(upTo:)``) and answer with what it makes of
/// it.
///
/// The body is read as the client takes it (AsyncHTTPClient stops reading the socket while its buffer is full), so a
/// large response passes through in bounded memory. It may not exceed `PDS_PROXY_MAX_RESPONSE_SIZE`: a declared
/// `content-length` above it fails before the body (``Pipethrough``), a longer body fails when it gets there.
package struct UpstreamResponse: Sendable {
    /// The upstream's status.
    package let status: HTTPResponse.Status
    /// The headers the reference forwards (`content-length`, `content-encoding`, `content-type`, `content-language`,
    /// `atproto-repo-rev`, `atproto-content-labelers`, `retry-after`).
    package let headers: HTTPFields
    let body: HTTPClientResponse.Body
    /// Keeps the upstream's client alive until the body is read or dropped.
    let lease: UpstreamClients.Lease
    /// `PDS_PROXY_MAX_RESPONSE_SIZE` (`nil`: no limit).
    let maxSize: Int?

    /// The client's response: the upstream's status and forwarded headers, plus `headers`, with the body streamed.
    /// - Parameters:
    ///   - headers: headers to add (the catch-all adds the auth verifier's `Cache-Control: private` and
    ///     `Vary: Authorization`).
    package func response(adding headers: HTTPFields) -> Response {
        var fields = self.headers
        fields.append(contentsOf: headers)
        let (body, lease, maxSize) = (self.body, self.lease, self.maxSize)
        return Response(
            status: status, headers: fields,
            body: ResponseBody { writer in
                var received = 0
                for try await chunk in body {
                    received += chunk.readableBytes
                    if let maxSize, received > maxSize { throw PipethroughError.responseTooLarge(limit: maxSize) }
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
                withExtendedLifetime(lease) {}
            })
    }

    /// The whole body (still encoded as `content-encoding` says: the local-call path asks for `identity`).
    /// - Parameters:
    ///   - limit: the most bytes accepted (also bounded by `PDS_PROXY_MAX_RESPONSE_SIZE`).
    /// - Throws: ``PipethroughError/responseTooLarge(limit:)`` past the limit, or the upstream's read error.
    package func collect(upTo limit: Int) async throws -> ByteBuffer {
        let bound = min(limit, maxSize ?? .max)
        var collected = ByteBuffer()
        for try await var chunk in body {
            guard collected.readableBytes + chunk.readableBytes <= bound else {
                throw PipethroughError.responseTooLarge(limit: bound)
            }
            collected.writeBuffer(&chunk)
        }
        withExtendedLifetime(lease) {}
        return collected
    }
}
