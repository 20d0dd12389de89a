import ATCore
import ATCrypto
import Foundation
import Synchronization
import TestFixtures
import Testing

@testable import ActorStore

/// ``ActorStore/withActorOffline(_:_:)``: an actor's requests wait while it is offline, its store is closed and its
/// key forgotten, and other actors keep working.
@Suite struct ActorStoreOfflineTests {
    /// What happened, in order.
    final class Log: Sendable {
        let entries = Mutex<[String]>([])
        func append(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    @Test func requestsWaitWhileTheActorIsOfflineAndSeeItsNewFiles() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let (did, other) = (testDID(1), testDID(2))
            try await store.create(did, keypair: Secp256k1Keypair())
            try await store.create(other, keypair: Secp256k1Keypair())
            _ = try await store.keypair(did)
            let replacement = Secp256k1Keypair()
            let order = Log()
            let location = store.location(of: did)

            let waiting = try await store.withActorOffline(did) { () async throws -> Task<Void, any Error> in
                // Nothing holds the actor's files: they can be replaced.
                #expect(openFiles(under: location.directory).isEmpty)
                let waiting = Task {
                    try await store.read(did) { _ in () }
                    order.append("read")
                }
                #expect(await eventually { store.handles.waitingCount(did) == 1 })
                // Another actor is not held up.
                try await store.transact(other) { _ in () }
                try KeyFile.write(replacement.exportPrivateKey(), to: location.key)
                order.append("swapped")
                return waiting
            }
            try await waiting.value
            #expect(order.all == ["swapped", "read"])
            // The cached key was forgotten: the new file's key is used.
            #expect(try await store.keypair(did).did == replacement.did)
            #expect(store.handles.waitingCount(did) == 0)
            await store.close()
        }
    }

    @Test func theActorComesBackOnlineWhenTheWorkThrows() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(3)
            try await store.create(did, keypair: Secp256k1Keypair())
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await store.withActorOffline(did) { () async throws -> Int in throw Refused() }
            }
            #expect(try await store.read(did) { try $0.repo.root() == nil })
            let summary = try await ActorStore.summarizeStoreFile(at: store.location(of: did).database)
            #expect(summary.rootCID == nil && summary.blobs.isEmpty)
            await store.close()
        }
    }
}
