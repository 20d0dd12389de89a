import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A user's XRPC client of one PDS, as `pds account migrate` needs it: the account's session token (no admin
/// password), JSON and binary bodies (repository CARs, blobs).
///
/// Every failure is an ``AdminFailure``: the PDS unreachable, an XRPC error (``AdminFailure/server(url:method:status:error:message:)``),
/// or an answer that is not the method's output.
struct PDSClient: Sendable {
    /// The PDS's base URL, without a trailing `/`.
    let baseURL: String
    /// The HTTP client.
    let http: HTTPClient
    /// The session's access token, sent as `Bearer` to calls that need it.
    var accessToken: String?
    /// How long one call may take (a repository or a 5 MB blob included).
    var timeout: TimeAmount = .seconds(600)

    /// A client of the PDS at `baseURL`, without a session.
    init(baseURL: String, http: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
    }

    /// This client with `token` as its session.
    func authorized(_ token: String) -> PDSClient {
        var copy = self
        copy.accessToken = token
        return copy
    }

    /// A request body.
    enum Body {
        /// JSON.
        case json(JSONValue)
        /// Raw bytes with their content type.
        case bytes([UInt8], contentType: String)
    }

    /// A successful answer.
    struct Reply {
        /// The body.
        var body: [UInt8]
        /// Its `Content-Type`, if any.
        var contentType: String?
    }

    /// The largest answer read (a repository CAR is the largest).
    static let maxAnswerSize = 1 << 30

    // MARK: - Calls

    /// Calls `method`: a query (GET) without `body`, a procedure (POST) with one or with `post`.
    /// - Parameters:
    ///   - parameters: the query parameters.
    ///   - bearer: the token to send instead of the session's (a service JWT).
    ///   - authenticated: send the session's token.
    /// - Throws: ``AdminFailure/server(url:method:status:error:message:)`` for an XRPC error.
    func call(
        _ method: String, _ parameters: [(String, String)] = [], body: Body? = nil, post: Bool = false,
        bearer: String? = nil, authenticated: Bool = true
    ) async throws(AdminFailure) -> Reply {
        var url = "\(baseURL)/xrpc/\(method)"
        if !parameters.isEmpty {
            url += "?" + parameters.map { "\(AdminClient.percentEncode($0.0))=\(AdminClient.percentEncode($0.1))" }
                .joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = body != nil || post ? .POST : .GET
        if let token = bearer ?? (authenticated ? accessToken : nil) {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        switch body {
        case .json(let value):
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data("null".utf8)))
        case .bytes(let bytes, let contentType):
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        case nil:
            break
        }
        let status: Int
        let reply: Reply
        do {
            let response = try await http.execute(request, timeout: timeout)
            let collected = try await response.body.collect(upTo: Self.maxAnswerSize)
            status = Int(response.status.code)
            reply = Reply(body: Array(collected.readableBytesView), contentType: response.headers.first(name: "content-type"))
        } catch {
            throw .unreachable(url: baseURL, reason: AdminClient.reason(error))
        }
        guard (200..<300).contains(status) else {
            let json = try? JSONDecoder().decode(JSONValue.self, from: Data(reply.body))
            guard let name = json?["error"]?.string else {
                throw .badResponse(url: baseURL, method: method, detail: "HTTP \(status) without an XRPC error")
            }
            throw .server(url: baseURL, method: method, status: status, error: name, message: json?["message"]?.string)
        }
        return reply
    }

    /// Calls `method` and decodes its JSON output as `T`.
    func json<T: Decodable>(
        _ type: T.Type, _ method: String, _ parameters: [(String, String)] = [], body: Body? = nil,
        post: Bool = false, bearer: String? = nil, authenticated: Bool = true
    ) async throws(AdminFailure) -> T {
        let reply = try await call(
            method, parameters, body: body, post: post, bearer: bearer, authenticated: authenticated)
        do {
            return try JSONDecoder().decode(T.self, from: Data(reply.body))
        } catch {
            throw .badResponse(url: baseURL, method: method, detail: "the output does not match its lexicon")
        }
    }
}
