import ATCore
import ActorStore
import Foundation
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import Testing

@testable import PDSServer

/// A commit whose `#commit` could not be sequenced is announced by a `#sync`: before the actor's next write, or by
/// the background retry, in order and without a gap.
@Suite struct RepoReconcilerTests {
    static func createPost(_ xrpc: XRPCTestClient, _ account: XRPCSession, _ text: String) async throws -> XRPCReply {
        try await xrpc.createRecord(account, record: XRPCTestClient.post(text))
    }

    static func commitRev(_ reply: XRPCReply) throws -> String {
        try #require(try reply.decode(XRPCWriteOutput.self).commit?.rev)
    }

    @Test func aLostEventIsAnnouncedBeforeTheActorsNextWrite() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            // No background services: only the write path can reconcile here.
            let app = Application(router: buildRouter(services: services))
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let did = try DID(alice.did)
                #expect(try await Self.createPost(xrpc, alice, "one").status == .ok)
                let before = try #require(try await services.events(after: nil).last?.seq)

                let fault = try SequencerFault(services)
                // The actor commit is durable, so the write is acknowledged; its #commit could not be sequenced.
                let lost = try await Self.createPost(xrpc, alice, "two")
                #expect(lost.status == .ok, "\(lost.json)")
                let lostRev = try Self.commitRev(lost)
                #expect(try await services.events(after: before).isEmpty)
                #expect(services.reconciler.pendingDIDs == [did])

                // While the sequencer still fails, the actor's writes are refused rather than piling up more
                // unannounced commits.
                let refused = try await Self.createPost(xrpc, alice, "refused")
                #expect(refused.status == .internalServerError)
                #expect(refused.error == "InternalServerError")
                #expect(services.reconciler.pendingDIDs == [did])

                try fault.heal()
                let next = try await Self.createPost(xrpc, alice, "three")
                #expect(next.status == .ok, "\(next.json)")
                let events = try await services.events(after: before)
                #expect(events.map(\.type) == [.sync, .append])
                #expect(events.map(\.seq) == [before + 1, before + 2])
                #expect(events.first?.body["rev"]?.string == lostRev)
                #expect(events.last?.body["since"]?.string == lostRev)
                #expect(events.last?.body["rev"]?.string == (try Self.commitRev(next)))
                #expect(services.reconciler.pendingDIDs.isEmpty)

                // The refused write left nothing behind.
                let listed = try await xrpc.call(
                    "com.atproto.repo.listRecords", query: "repo=\(alice.did)&collection=app.bsky.feed.post")
                let texts = (listed.json["records"] as? [[String: Any]] ?? []).compactMap {
                    ($0["value"] as? [String: Any])?["text"] as? String
                }
                #expect(texts.sorted() == ["one", "three", "two"])
            }
        }
    }

    @Test func theBackgroundRetryAnnouncesALostEventWithoutAWrite() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            // The application's service group runs the reconciler's background retry.
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let did = try DID(alice.did)
                let before = try #require(try await services.events(after: nil).last?.seq)

                let fault = try SequencerFault(services)
                let lost = try await Self.createPost(xrpc, alice, "lost")
                #expect(lost.status == .ok, "\(lost.json)")
                #expect(services.reconciler.pendingDIDs == [did])
                // The retry keeps failing (with backoff) until the fault is gone.
                try fault.heal()

                try await eventually("the #sync") { try await !services.events(after: before).isEmpty }
                try await eventually("the pending mark to clear") { services.reconciler.pendingDIDs.isEmpty }
                let events = try await services.events(after: before)
                #expect(events.map(\.type) == [.sync])
                #expect(events.map(\.seq) == [before + 1])
                #expect(events.first?.body["rev"]?.string == (try Self.commitRev(lost)))
                let root = try await services.actorStore.read(did) { try $0.repo.root() }
                #expect(root?.rev.rawValue == (try Self.commitRev(lost)))
            }
        }
    }

    @Test func aPendingActorWhoseRepoIsBehindIsResignedInsideItsNextWrite() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            // No background services: only the write path can reconcile here.
            let app = Application(router: buildRouter(services: services))
            try await app.test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let did = try DID(alice.did)
                let store = services.actorStore.location(of: did).database
                let backup = dir.appendingPathComponent("backup", isDirectory: true)
                try FileManager.default.createDirectory(at: backup, withIntermediateDirectories: true)
                await services.actorStore.closeAllHandles()
                try copyDatabase(store, to: backup.appendingPathComponent("store.sqlite"))

                let announced = try TID(try Self.commitRev(try await Self.createPost(xrpc, alice, "newer")))
                let before = try #require(try await services.events(after: nil).last?.seq)
                // The store goes back in time (restored from the older copy) and the actor is pending, as after a
                // failed sequencing: its next write must first re-sign the repo above the announced rev.
                await services.actorStore.closeAllHandles()
                try copyDatabase(backup.appendingPathComponent("store.sqlite"), to: store)
                services.reconciler.markPending(did)

                let next = try await Self.createPost(xrpc, alice, "after")
                #expect(next.status == .ok, "\(next.json)")
                let events = try await services.events(after: before)
                #expect(events.map(\.type) == [.sync, .append])
                #expect(events.map(\.seq) == [before + 1, before + 2])
                let syncRev = try TID(try #require(events.first?.body["rev"]?.string))
                #expect(syncRev > announced)
                #expect(events.last?.body["since"]?.string == syncRev.rawValue)
                let writeRev = try Self.commitRev(next)
                #expect(events.last?.body["rev"]?.string == writeRev)
                #expect(try TID(writeRev) > syncRev)
                #expect(services.reconciler.pendingDIDs.isEmpty)
                let root = try await services.actorStore.read(did) { try $0.repo.root() }
                #expect(root?.rev.rawValue == writeRev)
            }
        }
    }
}
