import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Testing

@testable import PDSServer

/// Error messages are written for people: no Swift enum or struct syntax reaches a client.
@Suite struct XRPCErrorMessageTests {
    /// Swift enum or struct syntax leaking into a message: `invalidDataModel("…")`, `keyNotFound(CodingKeys(…`.
    static func looksLikeSwift(_ message: String) -> Bool {
        message.range(of: #"[a-z][A-Za-z]*\("|[A-Za-z]+\([A-Za-z]+:|CodingKeys|Swift\.|DecodingError"#, options: .regularExpression)
            != nil
    }

    @Test func badBodiesGetMessagesForPeople() async throws {
        try await TestApplication.withAccount { _, _, xrpc, session in
            let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(session.accessJwt)"]
            let nested = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
            let cases: [(String, String, String)] = [
                ("com.atproto.repo.createRecord",
                    #"{"repo": "\#(session.did)", "collection": "app.bsky.feed.post", "record": \#(nested)}"#,
                    "Invalid JSON: nesting too deep"),
                ("com.atproto.repo.createRecord", #"{"repo": "#, "Invalid JSON: unexpected end of input"),
                ("com.atproto.repo.createRecord", #"{"a": 1} x"#, "Invalid JSON: unexpected text after the JSON value"),
                ("com.atproto.repo.createRecord", "[1, 2]", "Input must be an object"),
                ("com.atproto.repo.createRecord",
                    #"{"repo": "\#(session.did)", "collection": "app.bsky.feed.post", "record": {"n": 1.5}}"#,
                    "Invalid data: floats are not allowed"),
                ("com.atproto.repo.createRecord",
                    #"{"repo": "\#(session.did)", "collection": "app.bsky.feed.post", "record": {"l": {"$link": "x"}}}"#,
                    "Invalid data: invalid CID in $link"),
                ("com.atproto.server.createSession", #"{"identifier": "#, "Invalid JSON: unexpected end of input"),
                ("com.atproto.server.createSession", #"{"identifier": 5, "password": "p"}"#, "Input/identifier has the wrong type"),
                ("com.atproto.server.createSession", #"{"password": "p"}"#, "Input must have the property \"identifier\""),
            ]
            for (nsid, body, expected) in cases {
                let reply = try await xrpc.send(nsid, method: .post, headers: headers, body: Array(body.utf8))
                let message = reply.json["message"] as? String ?? ""
                #expect(reply.status == .badRequest, "\(nsid) \(body.prefix(40)): \(reply.text)")
                #expect(reply.error == "InvalidRequest", "\(body.prefix(40))")
                #expect(message.hasPrefix(expected), "\(body.prefix(40)): \(message)")
                #expect(!Self.looksLikeSwift(message), "\(message)")
            }
        }
    }

    @Test func dataModelErrorsDescribeThemselves() {
        #expect("\(DataModelError.invalidJSON("nesting too deep at offset 252"))" == "Invalid JSON: nesting too deep at offset 252")
        #expect(throws: DataModelError.invalidJSON("nesting too deep at offset 128")) {
            try JSONValue(parsing: String(repeating: "[", count: 200) + String(repeating: "]", count: 200))
        }
        for error in [DataModelError.invalidVarint, .invalidHex, .invalidCID("bad"), .invalidCBOR("bad"), .invalidCAR("x")] {
            #expect(!Self.looksLikeSwift("\(error)"), "\(error)")
        }
    }
}
