import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Reads pages of an upstream directory's `GET /export?count=&after=` (JSON lines, oldest first), keeping each line
/// byte for byte as sent.
package struct PLCUpstreamExport: Sendable {
    /// Why a page could not be read.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        /// What went wrong, in a few words.
        package var description: String
    }

    /// The upstream directory's base URL, without a trailing slash.
    package let baseURL: String
    /// The largest page body accepted.
    static let maxPageBytes = 64 << 20
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// Creates a reader.
    /// - Parameters:
    ///   - baseURL: for example `https://plc.directory`.
    ///   - http: the HTTP client.
    ///   - timeout: the whole-request deadline.
    package init(baseURL: String, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(60)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.http = http
        self.timeout = timeout
    }

    /// Fetches one page.
    /// - Parameters:
    ///   - after: the `after` timestamp, or `nil` for the start of the log.
    ///   - count: the page size asked for.
    /// - Returns: the page's lines without their newlines (empty lines dropped).
    package func page(after: String?, count: Int) async throws -> [String] {
        var url = "\(baseURL)/export?count=\(count)"
        if let after {
            url += "&after=" + (after.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? after)
        }
        let request = HTTPClientRequest(url: url)
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: Self.maxPageBytes)
        } catch {
            throw Failure(description: "GET \(url): \(error)")
        }
        guard response.status == .ok else {
            throw Failure(description: "GET \(url): HTTP \(response.status.code)")
        }
        let bytes = body.readableBytesView
        return bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map {
            String(decoding: $0, as: UTF8.self)
        }
    }
}
