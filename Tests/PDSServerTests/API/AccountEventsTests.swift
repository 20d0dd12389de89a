import ATCore
import ActorStore
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import Testing

@testable import PDSServer

/// Account lifecycle methods sequence the firehose events the reference does.
@Suite struct AccountEventsTests {
    @Test func createDeactivateActivateSequenceEvents() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            let app = try await TestApplication.make(services: services)
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let created = try await xrpc.createAccount(handle: "frank.test")
                let did = try DID(created.did)
                let access = created.accessJwt

                var events = try await services.events(after: nil)
                #expect(events.map(\.did) == [did, did, did, did])
                #expect(events.map(\.type.rawValue) == ["identity", "account", "append", "sync"])
                #expect(events[0].body["handle"]?.string == "frank.test")
                #expect(events[1].body["active"]?.bool == true)
                // The genesis #commit carries the signed commit, with no prevData.
                let commitCID = try #require(events[2].body["commit"]?.link)
                #expect(events[2].body["prevData"] == nil)
                let head = try await services.actorStore.read(did) { try $0.repo.root() }
                #expect(head?.cid == commitCID)

                let deactivated = try await xrpc.call("com.atproto.server.deactivateAccount", token: access, json: [:])
                #expect(deactivated.status == .ok, "\(deactivated.text)")
                let activated = try await xrpc.call("com.atproto.server.activateAccount", method: .post, token: access)
                #expect(activated.status == .ok, "\(activated.text)")

                events = try await services.events(after: events.last?.seq)
                #expect(events.map(\.type.rawValue) == ["account", "account", "identity", "sync"])
                #expect(events[0].body["active"]?.bool == false)
                #expect(events[0].body["status"]?.string == "deactivated")
                #expect(events[1].body["active"]?.bool == true)
            }
        }
    }
}
