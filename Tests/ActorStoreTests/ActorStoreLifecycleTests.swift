import ATCore
import ATCrypto
import Foundation
import SQLiteSupport
import TestFixtures
import Testing

@testable import ActorStore

@Suite struct ActorStoreLifecycleTests {
    @Test func createExistsDestroy() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(1)
            #expect(await store.exists(did) == false)
            let keypair = Secp256k1Keypair()
            try await store.create(did, keypair: keypair)
            #expect(await store.exists(did))
            let location = store.location(of: did)
            #expect(FileManager.default.fileExists(atPath: location.database.path))
            #expect(try Data(contentsOf: location.key) == Data(keypair.exportPrivateKey()))
            let root = try await store.read(did) { try $0.repo.root() == nil }
            #expect(root)

            try await store.destroy(did)
            #expect(await store.exists(did) == false)
            #expect(!FileManager.default.fileExists(atPath: location.directory.path))
            await #expect(throws: ActorStoreError.actorNotFound(did)) {
                try await store.read(did) { _ in 0 }
            }
            #expect(openFiles(under: dir).isEmpty)
            await store.close()
        }
    }

    @Test func keyFileIsOwnerOnlyAndLoadsBack() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(2)
            let keypair = Secp256k1Keypair()
            try await store.create(did, keypair: keypair)
            let attributes = try FileManager.default.attributesOfItem(atPath: store.location(of: did).key.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect((attributes[.size] as? Int) == 32)

            // A second store has a cold key cache: the key comes from the file.
            let other = try makeStore(dir)
            let loaded = try await other.keypair(did)
            #expect(loaded.exportPrivateKey() == keypair.exportPrivateKey())
            let inReader = try await other.read(did) { try $0.keypair().did }
            #expect(inReader == keypair.did)
            await store.close()
            await other.close()
        }
    }

    @Test func createRefusesAnExistingStore() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(3)
            try await store.create(did, keypair: Secp256k1Keypair())
            await #expect(throws: ActorStoreError.actorAlreadyExists(did)) {
                try await store.create(did, keypair: Secp256k1Keypair())
            }
            await store.close()
        }
    }

    @Test func concurrentCreatesOfOneDIDLetExactlyOneWin() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(4)
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { (try? await store.create(did, keypair: Secp256k1Keypair())) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            await store.close()
        }
    }

    @Test func unknownActorIsNotFoundAndNoFileIsCreated() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(5)
            await #expect(throws: ActorStoreError.actorNotFound(did)) {
                try await store.transact(did) { _ in 0 }
            }
            await #expect(throws: ActorStoreError.actorNotFound(did)) {
                try await store.keypair(did)
            }
            #expect(!FileManager.default.fileExists(atPath: store.location(of: did).directory.path))
            await store.close()
        }
    }

    @Test func reservedKeys() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let keyDID = try await store.reserveKeypair()
            #expect(keyDID.method == "key")
            let reserved = try #require(try await store.reservedKeypair(keyDID))
            #expect(reserved.did == keyDID.rawValue)
            let path = store.directory.reservedKeys.appendingPathComponent(keyDID.rawValue).path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            let did = testDID(6)
            let forDID = try await store.reserveKeypair(for: did)
            #expect(forDID == did)
            #expect(try await store.reservedKeypair(did) != nil)

            try await store.clearReservedKeypair(keyDID, did: did)
            #expect(try await store.reservedKeypair(keyDID) == nil)
            #expect(try await store.reservedKeypair(did) == nil)
            // Clearing twice is not an error.
            try await store.clearReservedKeypair(keyDID)
            await store.close()
        }
    }

    @Test func plcOperationStoreGetClear() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(7)
            try await store.create(did, keypair: Secp256k1Keypair())
            #expect(try await store.plcOperation(did) == nil)
            let operation = DAGCBOR.encode(["type": "plc_operation", "prev": .null])
            try await store.storePLCOperation(did, operation)
            #expect(try await store.plcOperation(did) == operation)
            #expect(FileManager.default.fileExists(atPath: store.location(of: did).didOperation.path))
            try await store.clearPLCOperation(did)
            #expect(try await store.plcOperation(did) == nil)
            await store.close()
        }
    }

    @Test func closedStoreRefusesWork() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(8)
            try await store.create(did, keypair: Secp256k1Keypair())
            await store.close()
            await #expect(throws: ActorStoreError.storeClosed) { try await store.read(did) { _ in 0 } }
            #expect(openFiles(under: dir).isEmpty)
        }
    }

    @Test func handleCacheIsSizedToTheDescriptorLimit() {
        let sqlite = SQLiteConfiguration(maximumReaderCount: 2)
        #expect(sqlite.fileDescriptorsPerPool == 7)
        #expect(ActorStore.Configuration.handleCacheSize(fileDescriptorLimit: 20_000, reserved: 512, sqlite: sqlite) == 2_784)
        #expect(ActorStore.Configuration.handleCacheSize(fileDescriptorLimit: 100, sqlite: sqlite) == 1)
        let raised = FileDescriptorLimit.raise()
        #expect(raised >= 1024)
        #expect(FileDescriptorLimit.current == raised)
        #expect(FileDescriptorLimit.openCount() != nil)
    }
}
