import ATCore
import ATCrypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PLCServer
import ServiceLifecycle
import Synchronization
import TestFixtures
import Testing

@testable import Identity

@Suite struct DIDCacheTests {
    static func document(_ did: DID, handle: String) -> DIDDocument {
        DIDDocument(id: did, alsoKnownAs: ["at://\(handle)"], verificationMethod: [], service: [])
    }

    @Test func sqliteCacheUsesTheReferenceSchemaInWALMode() async throws {
        try await withTemporaryPath { dir in
            let cache = try SQLiteDIDCache(path: "\(dir)/did_cache.sqlite")
            #expect(try await cache.journalMode() == "wal")
            let did = try DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
            try await cache.cacheDID(did, document: Self.document(did, handle: "a.test"), previous: nil)
            #expect(try await cache.checkCache(did)?.document.handle?.rawValue == "a.test")
            try await cache.clearEntry(did)
            #expect(try await cache.checkCache(did) == nil)
        }
    }

    @Test(arguments: [false, true])
    func ttlsClassifyEntries(sqlite: Bool) async throws {
        try await withTemporaryPath { dir in
            let clock = TestWallClock()
            let ttl = DIDCacheTTL(stale: .seconds(60), max: .seconds(600))
            let cache: any DIDCache =
                sqlite
                ? try SQLiteDIDCache(path: "\(dir)/did_cache.sqlite", ttl: ttl, now: clock.function)
                : MemoryDIDCache(ttl: ttl, now: clock.function)
            let did = try DID("did:plc:bbbbbbbbbbbbbbbbbbbbbbbb")
            try await cache.cacheDID(did, document: Self.document(did, handle: "b.test"), previous: nil)
            var entry = try #require(try await cache.checkCache(did))
            #expect(!entry.stale && !entry.expired)
            clock.advance(by: 61)
            entry = try #require(try await cache.checkCache(did))
            #expect(entry.stale && !entry.expired)
            clock.advance(by: 600)
            entry = try #require(try await cache.checkCache(did))
            #expect(entry.stale && entry.expired)
            // A refresh conditioned on an older read does not overwrite a newer write.
            let older = entry
            clock.advance(by: 1)
            try await cache.cacheDID(did, document: Self.document(did, handle: "newer.test"), previous: nil)
            try await cache.cacheDID(did, document: Self.document(did, handle: "older.test"), previous: older)
            #expect(try await cache.checkCache(did)?.document.handle?.rawValue == "newer.test")
        }
    }

    /// A resolver stand-in counting calls: a DID resolver with a cache, in front of a scripted source.
    final class CountingSource: Sendable {
        let calls = Mutex(0)
        let handle = Mutex("first.test")

        func resolve(_ did: DID) async throws -> DIDDocument? {
            calls.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(50))
            return DIDCacheTests.document(did, handle: handle.withLock { $0 })
        }
    }

    @Test func staleEntriesAreServedAndRefreshedOnceInTheBackground() async throws {
        try await withTemporaryPath { dir in
            let clock = TestWallClock()
            let refresher = DIDCacheRefresher(maxQueued: 10, maxConcurrent: 2)
            let cache = try SQLiteDIDCache(
                path: "\(dir)/did_cache.sqlite", ttl: .init(stale: .seconds(60), max: .seconds(600)),
                refresher: refresher, now: clock.function)
            let did = try DID("did:plc:cccccccccccccccccccccccc")
            let source = CountingSource()
            try await cache.cacheDID(did, document: try #require(await source.resolve(did)), previous: nil)
            source.handle.withLock { $0 = "second.test" }
            clock.advance(by: 120)

            // Many concurrent readers of a stale entry: all get the stale document, one refresh is queued.
            let stale = try #require(try await cache.checkCache(did))
            #expect(stale.stale)
            for _ in 0..<20 {
                cache.refreshCache(did, previous: stale) { try await source.resolve(did) }
            }
            #expect(refresher.isPending(did))
            #expect(try await cache.checkCache(did)?.document.handle?.rawValue == "first.test")

            let group = ServiceGroup(services: [refresher], logger: .init(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                while refresher.isPending(did) { try await Task.sleep(for: .milliseconds(10)) }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(source.calls.withLock { $0 } == 2)
            let refreshed = try #require(try await cache.checkCache(did))
            #expect(refreshed.document.handle?.rawValue == "second.test" && !refreshed.stale)
        }
    }

    @Test func refresherQueueIsBounded() {
        let refresher = DIDCacheRefresher(maxQueued: 2, maxConcurrent: 1)
        let dids = (0..<4).map {
            try! DID("did:plc:\(String(repeating: Character(UnicodeScalar(97 + $0)!), count: 24))")
        }
        let queued = dids.map { refresher.enqueue($0) {} }
        #expect(queued == [true, true, false, false])
        #expect(!refresher.isPending(dids[3]))
        #expect(!refresher.enqueue(dids[0]) {})
    }

    @Test func resolverUsesTheCacheByTTL() async throws {
        try await withTemporaryPath { dir in
            let clock = TestWallClock()
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite")
            let rotation = Secp256k1Keypair()
            let (did, _) = try await directory.createDID(
                state: PLCFixture.state(rotation: [rotation], handle: "one.test"), signer: rotation)
            let app = directory.makeApplication(port: 0, logger: Logger(label: "test"))
            try await app.test(.live) { client in
                let cache = try SQLiteDIDCache(
                    path: "\(dir)/did_cache.sqlite", ttl: .init(stale: .seconds(60), max: .seconds(600)),
                    now: clock.function)
                let resolver = DIDResolver(
                    configuration: .init(plcURL: "http://127.0.0.1:\(try #require(client.port))"), cache: cache)
                #expect(try await resolver.resolve(did)?.handle?.rawValue == "one.test")
                try await directory.updateHandle(did, handle: Handle("two.test"), signer: rotation)
                // Fresh: served from the cache.
                #expect(try await resolver.resolve(did)?.handle?.rawValue == "one.test")
                // Stale: still served from the cache, with a refresh queued (the refresher is not running here).
                clock.advance(by: 120)
                #expect(try await resolver.resolve(did)?.handle?.rawValue == "one.test")
                #expect(cache.refresher.isPending(did))
                // Expired: resolved again before answering.
                clock.advance(by: 600)
                #expect(try await resolver.resolve(did)?.handle?.rawValue == "two.test")
                // Forced: always resolved, and the cache updated.
                try await directory.updateHandle(did, handle: Handle("three.test"), signer: rotation)
                #expect(try await resolver.resolve(did, forceRefresh: true)?.handle?.rawValue == "three.test")
                #expect(try await cache.checkCache(did)?.document.handle?.rawValue == "three.test")
                // A DID that stops resolving is dropped from the cache.
                try await directory.tombstone(did, signer: rotation)
                #expect(try await resolver.resolve(did, forceRefresh: true) == nil)
                #expect(try await cache.checkCache(did) == nil)
            }
        }
    }
}
