import ActorStore
import ATCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import Testing

@testable import PDSServer

/// Account lifecycle methods sequence the firehose events the reference does.
@Suite struct AccountEventsTests {
    typealias T = ComAtprotoServerTests

    @Test func createDeactivateActivateSequenceEvents() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let created = try await T.createAccount(client, handle: "frank.test")
                let did = try DID(try #require(created["did"] as? String))
                let access = try #require(created["accessJwt"] as? String)

                var events = try await services.sequencer.requestSeqRange(after: nil).events
                #expect(events.map(\.did) == [did, did, did, did])
                #expect(events.map(\.type.rawValue) == ["identity", "account", "append", "sync"])
                #expect(events[0].body["handle"]?.string == "frank.test")
                #expect(events[1].body["active"]?.bool == true)
                // The genesis #commit carries the signed commit, with no prevData.
                let commitCID = try #require(events[2].body["commit"]?.link)
                #expect(events[2].body["prevData"] == nil)
                let head = try await services.actorStore.read(did) { try $0.repo.root() }
                #expect(head?.cid == commitCID)

                try await client.execute(
                    uri: "/xrpc/com.atproto.server.deactivateAccount", method: .post,
                    headers: T.bearer(access), body: try T.body([:])
                ) { response in #expect(response.status == .ok, "\(String(buffer: response.body))") }
                try await client.execute(
                    uri: "/xrpc/com.atproto.server.activateAccount", method: .post, headers: T.bearer(access)
                ) { response in #expect(response.status == .ok, "\(String(buffer: response.body))") }

                events = try await services.sequencer.requestSeqRange(after: events.last?.seq).events
                #expect(events.map(\.type.rawValue) == ["account", "account", "identity", "sync"])
                #expect(events[0].body["active"]?.bool == false)
                #expect(events[0].body["status"]?.string == "deactivated")
                #expect(events[1].body["active"]?.bool == true)
            }
        }
    }
}
