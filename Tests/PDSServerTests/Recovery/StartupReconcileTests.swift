import ATCore
import ATCrypto
import ATRepo
import ActorStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PDSTestSupport
import Sequencer
import ServiceDB
import Testing

@testable import PDSServer

/// The start-up reconcile: every active account's repo root against the last event the firehose announced for it.
@Suite struct StartupReconcileTests {
    /// A commit written straight to the actor store, never sequenced: what a crash between the two leaves.
    static func unannouncedCommit(_ services: PDSServices, did: DID, rkey: String) async throws -> CommitData {
        let record = LexValue.map(["$type": .string("com.example.note"), "text": .string(rkey)])
        return try await services.actorStore.transact(did) { txn in
            try txn.repo.processWrites(
                [.create(try NSID("com.example.note"), try RecordKey(rkey), record)], swapCommit: nil)
        }
    }

    @Test func lostEventsGetASyncOnceAndDeactivatedAccountsAreSkipped() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                _ = try await xrpc.createAccount(handle: "carol.test")
                let dave = try await xrpc.createAccount(handle: "dave.test")
                let deactivated = try await xrpc.call(
                    "com.atproto.server.deactivateAccount", token: dave.accessJwt, json: [:])
                #expect(deactivated.status == .ok)

                let clean = try await services.reconciler.reconcileAll(concurrency: 2)
                #expect(clean.checked == 2)
                #expect(clean.synced == 0 && clean.resigned == 0 && clean.announced == 0 && clean.failed == 0)

                let did = try DID(alice.did)
                let before = try #require(try await services.events(after: nil).last?.seq)
                let lost = try await Self.unannouncedCommit(services, did: did, rkey: "lost")
                let summary = try await services.reconciler.reconcileAll(concurrency: 2)
                #expect(summary.checked == 2)
                #expect(summary.synced == 1)
                #expect(summary.mirrorsUpdated == 1)
                #expect(summary.failed == 0)
                let events = try await services.events(after: before)
                #expect(events.map(\.type) == [.sync])
                #expect(events.map(\.did) == [did])
                #expect(events.first?.body["rev"]?.string == lost.rev.rawValue)
                let account = try await services.serviceDB.listAccounts(after: nil, limit: 10)
                    .first { $0.account.did == did }
                #expect(account?.rev == lost.rev.rawValue)

                // Nothing more to do the second time.
                let again = try await services.reconciler.reconcileAll(concurrency: 2)
                #expect(again.synced == 0 && again.mirrorsUpdated == 0)
                #expect(try await services.events(after: before).count == 1)
            }
        }
    }

    @Test func aRepoRestoredFromAnOlderBackupIsResignedAboveTheAnnouncedRev() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                let did = try DID(alice.did)
                let store = services.actorStore.location(of: did).database
                let backup = dir.appendingPathComponent("backup", isDirectory: true)
                try FileManager.default.createDirectory(at: backup, withIntermediateDirectories: true)
                await services.actorStore.closeAllHandles()
                try copyDatabase(store, to: backup.appendingPathComponent("store.sqlite"))
                let oldData = try await services.actorStore.read(did) { try Repo.load(storage: $0.repo.storage).commit }

                let written = try await xrpc.createRecord(alice, record: XRPCTestClient.post("newer"))
                #expect(written.status == .ok)
                let announced = try TID(
                    try #require((written.json["commit"] as? [String: Any])?["rev"] as? String))
                let before = try #require(try await services.events(after: nil).last?.seq)

                // Restore the older file.
                await services.actorStore.closeAllHandles()
                try copyDatabase(backup.appendingPathComponent("store.sqlite"), to: store)

                let summary = try await services.reconciler.reconcileAll()
                #expect(summary.resigned == 1)
                #expect(summary.mirrorsUpdated == 1)
                let events = try await services.events(after: before)
                #expect(events.map(\.type) == [.sync])
                let syncRev = try TID(try #require(events.first?.body["rev"]?.string))
                #expect(syncRev > announced)

                let blocks = try #require(events.first?.body["blocks"]?.bytes)
                var car = try CARReader(blocks)
                let block = try #require(try car.next())
                #expect(car.roots == [block.cid])
                let commit = try Commit(bytes: block.bytes)
                #expect(commit.rev == syncRev)
                #expect(commit.data == oldData.data)
                let key = try await services.actorStore.keypair(did)
                #expect(commit.verifySignature(with: key.publicKey))
                let root = try await services.actorStore.read(did) { try $0.repo.root() }
                #expect(root?.cid == block.cid)

                // The repo accepts writes again, and their #commit follows the #sync.
                let next = try await xrpc.createRecord(alice, record: XRPCTestClient.post("after"))
                #expect(next.status == .ok)
                let after = try await services.events(after: events.last?.seq)
                #expect(after.map(\.type) == [.append])
                #expect(after.first?.body["since"]?.string == syncRev.rawValue)
            }
        }
    }

    @Test func anAccountWithoutAnyEventIsAnnounced() async throws {
        try await withTemporaryDirectory { dir in
            let services = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                try SequencerFault.deleteEvents(services, did: alice.did)
                let before = try await services.sequencer.currentSeq()

                let summary = try await services.reconciler.reconcileAll()
                #expect(summary.announced == 1)
                let events = try await services.events(after: before)
                #expect(events.map(\.type) == [.account, .identity, .sync])
                #expect(events.allSatisfy { $0.did.rawValue == alice.did })
                #expect(events[0].body["active"]?.bool == true)
                #expect(events[1].body["handle"]?.string == "alice.test")
            }
        }
    }
}
