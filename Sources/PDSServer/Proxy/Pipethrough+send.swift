import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Pipethrough {
    /// The most of an upstream error body read to find its XRPC `error` and `message`.
    static let maxErrorBodySize = 64 * 1024

    /// Sends `request` to `origin` on its pooled client and checks the response head: an error status becomes an
    /// ``UpstreamError`` (with the error body's `error` and `message`), a declared length above
    /// `PDS_PROXY_MAX_RESPONSE_SIZE` a ``PipethroughError/responseTooLarge(limit:)``.
    ///
    /// An idempotent request (GET, HEAD) is retried up to `PDS_PROXY_MAX_RETRIES` times after a socket error before
    /// any response arrived (connection refused or reset, unreachable network, name not resolved), waiting 0.5 s, 1 s,
    /// 2 s, … in between, as the reference's retry interceptor; each attempt gets `PDS_PROXY_HEADERS_TIMEOUT` for its
    /// response head.
    /// - Parameters:
    ///   - request: the upstream request.
    ///   - origin: its origin (the client's key).
    ///   - idempotent: whether it may be retried.
    func send(_ request: HTTPClientRequest, origin: String, idempotent: Bool) async throws -> UpstreamResponse {
        var attempt = 0
        while true {
            let lease: UpstreamClients.Lease
            let response: HTTPClientResponse
            do {
                lease = try await clients.lease(origin)
                let deadline = NIODeadline.now() + .milliseconds(Int64(settings.headersTimeoutMs))
                response = try await lease.client.execute(request, deadline: deadline)
            } catch let error as PipethroughError {
                guard case .unreachable = error, idempotent, attempt < settings.maxRetries else { throw error }
                attempt += 1
                try await Self.backoff(attempt)
                continue
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                throw PipethroughError.timedOut(origin: origin)
            } catch {
                if Task.isCancelled { throw error }
                guard idempotent, attempt < settings.maxRetries, Self.isSocketError(error) else {
                    throw PipethroughError.unreachable(origin: origin, cause: error)
                }
                attempt += 1
                try await Self.backoff(attempt)
                continue
            }
            return try await check(response, lease: lease)
        }
    }

    /// The reference's retry delay before attempt `attempt` (1-based): 0.5 s doubling, at most 30 s.
    static func backoff(_ attempt: Int) async throws {
        let milliseconds = min(500 << min(attempt - 1, 10), 30_000)
        try await Task.sleep(for: .milliseconds(milliseconds))
    }

    /// The response as an ``UpstreamResponse``, or the error it stands for.
    private func check(_ response: HTTPClientResponse, lease: UpstreamClients.Lease) async throws -> UpstreamResponse {
        let status = Int(response.status.code)
        if status >= 400 {
            let (error, message) = await Self.errorBody(response)
            throw UpstreamError(
                status: status, error: error, message: message,
                headers: ProxyHeaders.clientResponse(from: response.headers, content: false))
        }
        if let limit = settings.maxResponseSize,
            let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit
        {
            throw PipethroughError.responseTooLarge(limit: limit)
        }
        return UpstreamResponse(
            status: HTTPResponse.Status(code: status),
            headers: ProxyHeaders.clientResponse(from: response.headers, content: true), body: response.body,
            lease: lease, maxSize: settings.maxResponseSize)
    }

    /// The `error` and `message` of an upstream error answer whose body is uncompressed JSON of at most
    /// ``maxErrorBodySize`` bytes; `(nil, nil)` for anything else (the body is then not read: dropping it closes
    /// the connection).
    static func errorBody(_ response: HTTPClientResponse) async -> (error: String?, message: String?) {
        let type = response.headers.first(name: "content-type")?.lowercased() ?? ""
        let encoding = response.headers.first(name: "content-encoding")?.lowercased() ?? "identity"
        guard isJSON(type), encoding == "identity" else { return (nil, nil) }
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body {
                guard bytes.count + chunk.readableBytes <= maxErrorBodySize else { return (nil, nil) }
                bytes += chunk.readableBytesView
            }
        } catch {
            return (nil, nil)
        }
        return UpstreamError.parseBody(bytes)
    }

    /// Whether a content type is JSON (`application/json`, `application/<x>+json`), as the reference's
    /// `isJsonContentType`.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType.hasPrefix("application/") else { return false }
        let subtype = mediaType.dropFirst("application/".count)
        return subtype == "json" || subtype.hasSuffix("+json")
    }

    /// Whether `error` is a socket error the reference retries (`ECONNRESET`, `ECONNREFUSED`, `ENETDOWN`,
    /// `ENETUNREACH`, `EHOSTDOWN`, `EHOSTUNREACH`, `EPIPE`, or the connection closed under the request).
    static func isSocketError(_ error: any Error) -> Bool {
        if let error = error as? IOError {
            return [ECONNRESET, ECONNREFUSED, ENETDOWN, ENETUNREACH, EHOSTDOWN, EHOSTUNREACH, EPIPE]
                .contains(error.errnoCode)
        }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { isSocketError($0.error) } || error.dnsAError != nil
                || error.dnsAAAAError != nil
        }
        if let error = error as? HTTPClientError { return error == .remoteConnectionClosed }
        if let error = error as? ChannelError {
            return error == .ioOnClosedChannel || error == .eof || error == .outputClosed
        }
        return false
    }
}
