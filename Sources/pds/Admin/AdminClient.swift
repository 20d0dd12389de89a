import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP client of the admin commands: XRPC calls to the running PDS, with HTTP Basic `admin:<password>` as
/// `pdsadmin` sends it, and plain JSON posts to other hosts (`request-crawl`).
///
/// Every failure is an ``AdminFailure``: the PDS unreachable, the admin password refused (any 401 to an
/// authenticated call), an XRPC error, or an answer that is not JSON.
struct AdminClient: Sendable {
    /// The PDS's base URL, without a trailing `/`.
    let baseURL: String
    /// The admin password (`nil`: calls that need it fail with ``AdminFailure/configuration(_:)``).
    let adminPassword: String?
    /// The HTTP client.
    let http: HTTPClient
    /// How long one call may take.
    let timeout: TimeAmount

    /// A client of the PDS at `baseURL`.
    init(baseURL: String, adminPassword: String?, http: HTTPClient, timeout: TimeAmount = .seconds(120)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.adminPassword = adminPassword
        self.http = http
        self.timeout = timeout
    }

    /// A raw answer: its status and body.
    struct Reply: Sendable {
        var status: Int
        var body: Data
    }

    /// The HTTP client of one command (shut it down when done): a refused connection fails at once rather than
    /// being retried until the connect timeout, so "server down" is reported immediately.
    static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(10), read: .seconds(120)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    // MARK: - XRPC

    /// Calls the query `method` with `parameters` (repeat a name for an array parameter).
    /// - Parameters:
    ///   - admin: send the admin password.
    /// - Returns: the output, as JSON.
    func query(_ method: String, _ parameters: [(String, String)] = [], admin: Bool = true) async throws(AdminFailure)
        -> JSONValue
    {
        var url = "\(baseURL)/xrpc/\(method)"
        if !parameters.isEmpty {
            let query = parameters.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }
            url += "?" + query.joined(separator: "&")
        }
        return try await call(method, url: url, httpMethod: .GET, body: nil, admin: admin)
    }

    /// Calls the procedure `method` with a JSON `input`.
    /// - Parameters:
    ///   - admin: send the admin password.
    /// - Returns: the output (`.null` for a method without one).
    @discardableResult
    func procedure(_ method: String, _ input: JSONValue, admin: Bool = true) async throws(AdminFailure) -> JSONValue {
        try await call(method, url: "\(baseURL)/xrpc/\(method)", httpMethod: .POST, body: input, admin: admin)
    }

    /// Decodes a method's output as `T`.
    /// - Throws: ``AdminFailure/badResponse(url:method:detail:)`` when it does not fit.
    func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, method: String) throws(AdminFailure) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
        } catch {
            throw .badResponse(url: baseURL, method: method, detail: "the output does not match its lexicon")
        }
    }

    private func call(_ method: String, url: String, httpMethod: HTTPMethod, body: JSONValue?, admin: Bool)
        async throws(AdminFailure) -> JSONValue
    {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if admin {
            guard let adminPassword else {
                throw .configuration("no admin password: set PDS_ADMIN_PASSWORD (or pass --env-file pds.env)")
            }
            headers.append(("Authorization", "Basic " + Data("admin:\(adminPassword)".utf8).base64EncodedString()))
        }
        let reply = try await send(url: url, method: httpMethod, headers: headers, json: body, target: baseURL)
        let json = reply.body.isEmpty ? JSONValue.null : try? JSONDecoder().decode(JSONValue.self, from: reply.body)
        guard (200..<300).contains(reply.status) else {
            if reply.status == 401 && admin { throw .adminPasswordRejected(url: baseURL) }
            guard let name = json?["error"]?.string else {
                throw .badResponse(url: baseURL, method: method, detail: "HTTP \(reply.status) without an XRPC error")
            }
            throw .server(
                url: baseURL, method: method, status: reply.status, error: name, message: json?["message"]?.string)
        }
        guard let json else { throw .badResponse(url: baseURL, method: method, detail: "the body is not JSON") }
        return json
    }

    // MARK: - HTTP

    /// Sends one request.
    /// - Parameters:
    ///   - target: what to name in an ``AdminFailure/unreachable(url:reason:)``.
    func send(url: String, method: HTTPMethod, headers: [(String, String)] = [], json: JSONValue?, target: String)
        async throws(AdminFailure) -> Reply
    {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let json {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(json)))
            }
            let response = try await http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 256 << 20)
            return Reply(status: Int(response.status.code), body: Data(body.readableBytesView))
        } catch {
            throw .unreachable(url: target, reason: Self.reason(error))
        }
    }

    /// Why a request got no answer, in a few words.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first { return reason(failure.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve \(error.host)" }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as HTTPClientError where error == .connectTimeout:
            return "connection timed out"
        case let error as HTTPClientError where error == .deadlineExceeded:
            return "no answer in time"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "the connection was closed"
        case let error as ChannelError:
            if case .connectTimeout = error { return "connection timed out" }
            return String(describing: error)
        default:
            return String(describing: error)
        }
    }

    /// Percent-encodes a query component.
    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
