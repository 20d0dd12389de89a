import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import NIOCore
import NIOWebSocket
import PDSTestSupport
import Sequencer
import Testing

@testable import PDSServer

/// `com.atproto.sync.subscribeRepos` over a real socket (`.live`).
@Suite struct SubscribeReposTests {
    static let path = "/xrpc/com.atproto.sync.subscribeRepos"

    @Test func backfillDeliversAccountCreationInSeqOrder() async throws {
        try await withTemporaryDirectory { dir in
            // The account is made over the router transport, which has no read timeout: under the whole suite's
            // load its password hash can wait longer than the live client's 20 s. The live server then reopens the
            // same data directory.
            let did = try await TestApplication.make(dataDirectory: dir).test(.router) { client in
                try await XRPCTestClient(client).createAccount(handle: "dave.test").did
            }
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.live) { client in
                try await client.ws("\(Self.path)?cursor=0") { inbound, outbound, _ in
                    var events: [(seq: Int64, type: String)] = []
                    for try await message in inbound.messages(maxSize: 1 << 22) {
                        guard case .binary(let buffer) = message else { continue }
                        let frame = try SubscriptionFrame(bytes: Array(buffer.readableBytesView))
                        guard case .message(let type, let body) = frame, case .integer(let seq) = body["seq"]
                        else {
                            Issue.record("unexpected frame \(frame)")
                            break
                        }
                        let repo = body["did"] ?? body["repo"]
                        #expect(repo == .string(did))
                        events.append((seq, type))
                        if events.count == 4 { break }
                    }
                    #expect(events.map(\.type) == ["#identity", "#account", "#commit", "#sync"])
                    #expect(events.map(\.seq) == [1, 2, 3, 4])
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    @Test func futureCursorGetsAnErrorFrameAndPolicyClose() async throws {
        try await withTemporaryDirectory { dir in
            let app = try await TestApplication.make(dataDirectory: dir)
            try await app.test(.live) { client in
                let close = try await client.ws("\(Self.path)?cursor=1000") { inbound, _, _ in
                    var frames: [SubscriptionFrame] = []
                    for try await message in inbound.messages(maxSize: 1 << 22) {
                        guard case .binary(let buffer) = message else { continue }
                        frames.append(try SubscriptionFrame(bytes: Array(buffer.readableBytesView)))
                    }
                    #expect(frames == [.error(name: "FutureCursor", message: "Cursor in the future.")])
                }
                #expect(close?.closeCode == .policyViolation)
                #expect(close?.reason == "FutureCursor")
            }
        }
    }
}
