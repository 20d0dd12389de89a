import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1

/// One XRPC reply as a test sees it: the status, the headers and the body, with typed and JSON views.
package struct XRPCReply: Sendable {
    /// The HTTP status.
    package let status: HTTPResponse.Status
    /// The response headers.
    package let headers: HTTPFields
    /// The body bytes.
    package let body: [UInt8]

    /// The body as a JSON object (`[:]` when it is not one).
    package var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
    }

    /// The body as a JSON object.
    /// - Throws: ``XRPCTestClient/UnexpectedReply`` when the body is not a JSON object.
    package func jsonObject() throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw XRPCTestClient.UnexpectedReply(reply: self)
        }
        return object
    }

    /// The body as UTF-8 text (for failure messages).
    package var text: String { String(decoding: body, as: UTF8.self) }

    /// The XRPC error name, for an error reply.
    package var error: String? { json["error"] as? String }

    /// The body decoded as `T`.
    package func decode<T: Decodable>(_: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body))
    }
}

/// A signed-in account, as `createAccount` and `createSession` return it.
package struct XRPCSession: Decodable, Sendable {
    /// The account DID.
    package let did: String
    /// Its handle.
    package let handle: String
    /// The access token.
    package let accessJwt: String
    /// The refresh token.
    package let refreshJwt: String
}

/// The output of a record write (`createRecord`, `putRecord`).
package struct XRPCWriteOutput: Decodable, Sendable {
    /// `{cid, rev}` of the commit, when the write made one.
    package struct Commit: Decodable, Sendable {
        /// The commit CID.
        package let cid: String
        /// The commit rev.
        package let rev: String
    }

    /// The record's AT-URI.
    package let uri: String
    /// The record's CID.
    package let cid: String
    /// The commit.
    package let commit: Commit?
    /// `valid`, `unknown`, or absent.
    package let validationStatus: String?

    /// The record key.
    package var rkey: String { String(uri.split(separator: "/").last ?? "") }
}

/// The one XRPC client of the server tests: calls any method with JSON in and out, with typed helpers for the calls
/// most tests make.
package struct XRPCTestClient: Sendable {
    /// The underlying Hummingbird test client.
    package let client: any TestClientProtocol
    /// For a live server: how long each call may take; the calls then go over AsyncHTTPClient.
    private let liveDeadline: TimeAmount?

    /// A client over `client`.
    package init(_ client: any TestClientProtocol) {
        self.client = client
        self.liveDeadline = nil
    }

    /// A client of the live server (`.live`) that `client` is connected to, whose calls may each take `deadline`.
    ///
    /// Hummingbird's live client gives up on a request after 20 s, but at the start of the whole suite the shared
    /// offload pool is busy with other tests' password hashes (scrypt, at most one per core), and a call that hashes
    /// a password (`createAccount`, `createSession`) can wait its turn longer than that.
    /// - Parameters:
    ///   - client: the `.live` test client (its port; ``client`` for anything else it offers).
    ///   - deadline: how long each call may take.
    package init(live client: any TestClientProtocol, deadline: Duration = .seconds(120)) {
        self.client = client
        self.liveDeadline = .nanoseconds(Int64(deadline / .nanoseconds(1)))
    }

    /// Calls `nsid` with JSON in and out: a GET with `query` when there is no `json`, else a POST of `json`.
    /// - Parameters:
    ///   - nsid: the method.
    ///   - method: the HTTP method, when not the one `json` implies (a POST without a body).
    ///   - token: a Bearer access token.
    ///   - headers: more headers (they replace the defaults: `content-type: application/json` and the token).
    ///   - query: the query string, without `?`.
    ///   - json: the procedure input.
    package func call(
        _ nsid: String, method: HTTPRequest.Method? = nil, token: String? = nil, headers: HTTPFields = [:],
        query: String = "", json: [String: Any]? = nil
    ) async throws -> XRPCReply {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let token { fields[.authorization] = "Bearer \(token)" }
        for field in headers { fields[field.name] = field.value }
        let body = try json.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) }
        return try await send(
            nsid, method: method ?? (json == nil ? .get : .post), headers: fields, query: query, body: body)
    }

    /// Sends a request to `nsid` as given: only `headers`, and `body` as it is.
    /// - Parameters:
    ///   - nsid: the method.
    ///   - method: the HTTP method.
    ///   - headers: the request headers.
    ///   - query: the query string, without `?`.
    ///   - body: the request body.
    package func send(
        _ nsid: String, method: HTTPRequest.Method, headers: HTTPFields = [:], query: String = "",
        body: [UInt8]? = nil
    ) async throws -> XRPCReply {
        let uri = "/xrpc/\(nsid)\(query.isEmpty ? "" : "?" + query)"
        if let liveDeadline, let port = client.port {
            return try await sendLive(uri, port: port, deadline: liveDeadline, method: method, headers: headers, body: body)
        }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }
        ) { response in
            XRPCReply(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
        }
    }

    /// Sends a request to the live server on `port` over AsyncHTTPClient, with `deadline`.
    private func sendLive(
        _ uri: String, port: Int, deadline: TimeAmount, method: HTTPRequest.Method, headers: HTTPFields,
        body: [UInt8]?
    ) async throws -> XRPCReply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(uri)")
        request.method = .init(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, deadline: .now() + deadline)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return XRPCReply(
            status: HTTPResponse.Status(code: Int(response.status.code)), headers: fields,
            body: Array(bytes.readableBytesView))
    }

    /// Creates an account (`handle@example.com`) and returns its session.
    package func createAccount(handle: String, password: String = "password-123") async throws -> XRPCSession {
        let reply = try await call(
            "com.atproto.server.createAccount",
            json: ["handle": handle, "email": "\(handle)@example.com", "password": password])
        guard reply.status == .ok else { throw UnexpectedReply(reply: reply) }
        return try reply.decode()
    }

    /// `com.atproto.repo.createRecord` of `record` in `collection` by `session`'s account.
    package func createRecord(
        _ session: XRPCSession, collection: String = "app.bsky.feed.post", record: [String: Any]
    ) async throws -> XRPCReply {
        try await call(
            "com.atproto.repo.createRecord", token: session.accessJwt,
            json: ["repo": session.did, "collection": collection, "record": record])
    }

    /// A post record.
    package static func post(_ text: String) -> [String: Any] {
        ["$type": "app.bsky.feed.post", "text": text, "createdAt": "2024-01-01T00:00:00.000Z"]
    }

    /// A reply with an unexpected status.
    package struct UnexpectedReply: Error, CustomStringConvertible {
        /// The reply.
        package let reply: XRPCReply
        package var description: String { "\(reply.status): \(reply.text)" }
    }
}
