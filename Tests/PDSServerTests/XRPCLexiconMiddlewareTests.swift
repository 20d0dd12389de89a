import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// What every served method's lexicon requires of a request, enforced before its handler runs: parameters and body
/// encoding, with the reference xrpc-server's messages.
@Suite struct XRPCLexiconMiddlewareTests {
    @Test func requiredAndTypedParametersAreEnforcedForEveryServedMethod() async throws {
        try await TestApplication.withAccount { _, _, xrpc, session in
            let did = session.did
            let cases: [(String, String, String)] = [
                ("com.atproto.sync.getBlocks", "did=\(did)", "Error: Params must have the property \"cids\""),
                ("com.atproto.sync.getBlocks", "did=\(did)&cids=", "Error: Params must have the property \"cids\""),
                ("com.atproto.sync.getBlocks", "did=\(did)&cids=nope", "Error: cids/0 must be a valid cid"),
                ("com.atproto.sync.getBlocks", "cids=bafyreib2rxk3rh6kzwq", "Error: Params must have the property \"did\""),
                ("com.atproto.sync.getRepo", "did=nope", "Error: did must be a valid did"),
                ("com.atproto.sync.getRecord", "did=\(did)&collection=app.bsky.feed.post",
                    "Error: Params must have the property \"rkey\""),
                ("com.atproto.sync.listRepos", "limit=abc", "Error: limit must be an integer"),
                ("com.atproto.sync.listRepos", "limit=5000", "Error: limit can not be greater than 1000"),
                ("com.atproto.repo.listRecords", "repo=\(did)", "Error: Params must have the property \"collection\""),
                ("com.atproto.repo.listRecords", "repo=\(did)&collection=app.bsky.feed.post&limit=0",
                    "Error: limit can not be less than 1"),
                ("com.atproto.repo.listRecords", "repo=\(did)&collection=app.bsky.feed.post&reverse=yes",
                    "Error: reverse must be a boolean"),
                ("com.atproto.repo.getRecord", "repo=\(did)&collection=app.bsky.feed.post",
                    "Error: Params must have the property \"rkey\""),
                ("com.atproto.repo.describeRepo", "", "Error: Params must have the property \"repo\""),
                ("com.atproto.identity.resolveHandle", "", "Error: Params must have the property \"handle\""),
                ("com.atproto.server.getServiceAuth", "", "Error: Params must have the property \"aud\""),
            ]
            for (nsid, query, expected) in cases {
                let reply = try await xrpc.call(nsid, token: session.accessJwt, query: query)
                #expect(reply.status == .badRequest, "\(nsid)?\(query): \(reply.text)")
                #expect(reply.error == "InvalidRequest", "\(nsid)?\(query)")
                #expect(reply.json["message"] as? String == expected, "\(nsid)?\(query): \(reply.text)")
            }
            // Valid parameters still reach the handler.
            #expect(try await xrpc.call("com.atproto.sync.listRepos", query: "limit=5").status == .ok)
        }
    }

    /// Every served XRPC route has its lexicon embedded (so the checks above apply to it), with the matching kind.
    @Test func everyServedMethodHasItsLexicon() async throws {
        try await withTemporaryDirectory { dir in
            let router = buildRouter(services: try TestApplication.services(dataDirectory: dir))
            let routes = router.routes.map { ($0.path.description, $0.method) }
                .filter { $0.0.hasPrefix("/xrpc/") && !$0.0.contains("{") && $0.0 != "/xrpc/_health" }
                .filter { !DevSwiftpdsBackup.methods.contains(Request.xrpcMethod(path: $0.0) ?? "") }
            #expect(routes.count > 30)
            for (path, method) in routes {
                let schema = XRPCMethodSchema(nsid: Request.xrpcMethod(path: path) ?? "")
                #expect(schema != nil, "\(path)")
                #expect(schema?.kind == (method == .get ? .query : .procedure), "\(method) \(path)")
            }
        }
    }

    // MARK: - Body rules


    @Test func bodiesFollowTheLexiconsEncoding() async throws {
        try await TestApplication.withAccount { _, _, xrpc, session in
            let auth = "Bearer \(session.accessJwt)"
            let record = Array(
                #"{"repo": "\#(session.did)", "collection": "app.bsky.feed.post", "record": {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-01-01T00:00:00.000Z"}}"#
                    .utf8)
            let refused: [(String, HTTPFields, [UInt8]?, String)] = [
                ("com.atproto.repo.createRecord", [.authorization: auth], record,
                    "Request encoding (Content-Type) required but not provided"),
                ("com.atproto.repo.createRecord", [.authorization: auth, .contentType: "text/plain"], record,
                    "Wrong request encoding (Content-Type): text/plain"),
                ("com.atproto.repo.createRecord", [.authorization: auth, .contentType: "application/json"], nil,
                    "A request body is expected but none was provided"),
                ("com.atproto.repo.uploadBlob", [.authorization: auth], pngBytes(100),
                    "Request encoding (Content-Type) required but not provided"),
                ("com.atproto.server.createSession", [.contentType: "application/x-www-form-urlencoded"],
                    Array("identifier=a".utf8), "Wrong request encoding (Content-Type): application/x-www-form-urlencoded"),
                ("com.atproto.server.deleteSession", [.authorization: auth, .contentType: "application/json"],
                    Array("{}".utf8), "A request body was provided when none was expected"),
            ]
            for (nsid, headers, body, expected) in refused {
                let reply = try await xrpc.send(nsid, method: .post, headers: headers, body: body)
                #expect(reply.status == .badRequest, "\(nsid) \(headers): \(reply.text)")
                #expect(reply.error == "InvalidRequest", "\(nsid) \(headers)")
                #expect(reply.json["message"] as? String == expected, "\(nsid) \(headers): \(reply.text)")
            }
            let getWithBody = try await xrpc.send(
                "com.atproto.server.describeServer", method: .get, headers: [.contentType: "application/json"],
                body: Array("{}".utf8))
            #expect(getWithBody.json["message"] as? String == "A request body was provided when none was expected")

            // Parameters after the media type, and its case, do not matter; any type suits uploadBlob.
            let written = try await xrpc.send(
                "com.atproto.repo.createRecord", method: .post,
                headers: [.authorization: auth, .contentType: "Application/JSON; charset=utf-8"], body: record)
            #expect(written.status == .ok, "\(written.text)")
            let uploaded = try await xrpc.uploadBlob(pngBytes(100), token: session.accessJwt, contentType: "image/png")
            #expect(uploaded.status == .ok, "\(uploaded.text)")
            // An empty JSON body is `{}`, as the reference reads it: the input's required fields are then missing.
            let empty = try await xrpc.send(
                "com.atproto.server.createSession", method: .post, headers: [.contentType: "application/json"],
                body: [])
            #expect(empty.json["message"] as? String == "Input must have the property \"identifier\"", "\(empty.text)")
            // A procedure with no input takes no body (or an empty one).
            let refreshed = try await xrpc.send(
                "com.atproto.server.refreshSession", method: .post,
                headers: [.authorization: "Bearer \(session.refreshJwt)"])
            #expect(refreshed.status == .ok, "\(refreshed.text)")
        }
    }
}
