import ATCore
import ATCrypto
import ATRepo
import Foundation
import GRDB
import TestFixtures
import Testing

@testable import ActorStore

/// `txn.repo.createRepo` / `processWrites`: real signed commits through the store.
@Suite struct ProcessWritesTests {
    @Test func genesisThenCommitsVerifyAndIndex() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(1)
            let keypair = try await createRepoActor(store, did, writes: [.create(postCollection, rkey("3kgenesis"), post("hi"))])
            #expect(try await verifiedRecords(store, did, key: keypair.publicKey).keys.sorted() == ["app.bsky.feed.post/3kgenesis"])
            await #expect(throws: ActorStoreError.repoAlreadyExists(did)) {
                try await store.transact(did) { try $0.repo.createRepo() }
            }

            let first = try await commit(store, did, [.create(postCollection, rkey("3ka"), post("a"))])
            let second = try await commit(
                store, did,
                [.update(postCollection, rkey("3ka"), post("a2")), .delete(postCollection, rkey("3kgenesis"))],
                swapCommit: first.cid)
            #expect(second.since == first.rev)
            #expect(second.prev == first.cid)
            #expect(second.ops.map(\.action) == [.update, .delete])
            #expect(second.ops[0].prev == first.ops[0].cid)
            let root = try await store.read(did) { try $0.repo.root() }
            #expect(root?.cid == second.cid)
            // Inside the writing transaction, the export already shows the new commit.
            let (inTransaction, committed) = try await store.transact(did) { txn in
                let commit = try txn.repo.processWrites([.create(postCollection, rkey("3kc"), post("c"))], swapCommit: nil)
                return (try txn.repo.exportCAR(since: second.rev), commit)
            }
            #expect(try CARReader.read(inTransaction).roots == [committed.cid])
            try await commit(store, did, [.delete(postCollection, rkey("3kc"))], swapCommit: committed.cid)
            #expect(root?.rev == second.rev)

            let records = try await verifiedRecords(store, did, key: keypair.publicKey)
            #expect(records == ["app.bsky.feed.post/3ka": second.ops[0].cid!])
            #expect(try await indexedRecords(store, did) == records)
            let row = try await store.read(did) { reader in
                try reader.record.getRecord(uri: ATURI(did: did, collection: postCollection, rkey: rkey("3ka")))
            }
            #expect(row?.value["text"]?.string == "a2")
            // The removed blocks are gone: only the current commit, its tree and its record remain.
            let blockCount = try await store.read(did) { try $0.repo.blockCount() }
            let car = try await store.read(did) { try $0.repo.exportCAR() }
            #expect(blockCount == (try RepoVerifier.verify(car: car, key: nil).blocks.count))
            await store.close()
        }
    }

    @Test func swapCommitMismatchIsRejected() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(2)
            try await createRepoActor(store, did)
            let genesis = try #require(try await store.read(did) { try $0.repo.root() })
            let first = try await commit(store, did, [.create(postCollection, rkey("3ka"), post("a"))], swapCommit: genesis.cid)
            await #expect(throws: RepoError.badCommitSwap(current: first.cid)) {
                try await commit(store, did, [.create(postCollection, rkey("3kb"), post("b"))], swapCommit: genesis.cid)
            }
            #expect(try await store.read(did) { try $0.repo.root()?.cid } == first.cid)
            #expect(try await indexedRecords(store, did).count == 1)
            await store.close()
        }
    }

    /// One row per swapRecord rule: the action, the swap, whether a record exists first, and whether it succeeds.
    enum SwapCase: String, CaseIterable, Sendable {
        case createAbsentOnEmpty, createAbsentOnExisting, createWithCID
        case updateMatching, updateStale, updateAbsent
        case deleteMatching, deleteStale, deleteAbsent
    }

    @Test(arguments: SwapCase.allCases)
    func swapRecordRules(_ swapCase: SwapCase) async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(3)
            try await createRepoActor(store, did)
            let key = rkey("3kswap")
            let existing = try await commit(store, did, [.create(postCollection, key, post("v1"))]).ops[0].cid!
            let stale = try await commit(store, did, [.create(postCollection, rkey("3kother"), post("other"))]).ops[0].cid!
            let path = "app.bsky.feed.post/3kswap"
            let write: RepoWrite
            var expected: RepoError?
            switch swapCase {
            case .createAbsentOnEmpty:
                write = .create(postCollection, rkey("3knew"), post("new"), swapRecord: .absent)
            case .createAbsentOnExisting:
                write = .create(postCollection, key, post("again"), swapRecord: .absent)
                expected = .badRecordSwap(current: existing)
            case .createWithCID:
                write = .create(postCollection, rkey("3knew"), post("new"), swapRecord: .cid(existing))
                expected = .badRecordSwap(current: nil)
            case .updateMatching:
                write = .update(postCollection, key, post("v2"), swapRecord: .cid(existing))
            case .updateStale:
                write = .update(postCollection, key, post("v2"), swapRecord: .cid(stale))
                expected = .badRecordSwap(current: existing)
            case .updateAbsent:
                write = .update(postCollection, key, post("v2"), swapRecord: .absent)
                expected = .badRecordSwap(current: existing)
            case .deleteMatching:
                write = .delete(postCollection, key, swapRecord: .cid(existing))
            case .deleteStale:
                write = .delete(postCollection, key, swapRecord: .cid(stale))
                expected = .badRecordSwap(current: existing)
            case .deleteAbsent:
                write = .delete(postCollection, key, swapRecord: .absent)
                expected = .badRecordSwap(current: existing)
            }
            let before = try await store.read(did) { try $0.repo.root()?.cid }
            if let expected {
                await #expect(throws: expected) { try await commit(store, did, [write]) }
                #expect(try await store.read(did) { try $0.repo.root()?.cid } == before)
                #expect(try await indexedRecords(store, did)[path] == existing)
            } else {
                let result = try await commit(store, did, [write])
                #expect(try await store.read(did) { try $0.repo.root()?.cid } == result.cid)
            }
            await store.close()
        }
    }

    @Test func atMostTwoHundredWrites() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(4)
            let keypair = try await createRepoActor(store, did)
            let writes = (0..<201).map { RepoWrite.create(postCollection, rkey("3k\($0)"), post("p\($0)")) }
            await #expect(throws: RepoError.tooManyWrites(max: 200)) { try await commit(store, did, writes) }
            #expect(try await indexedRecords(store, did).isEmpty)
            let result = try await commit(store, did, Array(writes.prefix(200)))
            #expect(result.ops.count == 200)
            #expect(try await verifiedRecords(store, did, key: keypair.publicKey).count == 200)
            #expect(try await indexedRecords(store, did).count == 200)
            await store.close()
        }
    }

    @Test func relevantBlocksOverTwoMegabytesAreRejected() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(5)
            try await createRepoActor(store, did)
            let big = String(repeating: "x", count: 700_000)
            let writes = (0..<3).map { RepoWrite.create(postCollection, rkey("3kbig\($0)"), post(big + "\($0)")) }
            await #expect {
                try await commit(store, did, writes)
            } throws: { error in
                guard case RepoError.commitTooLarge(let size, let max) = error else { return false }
                return size > 2_000_000 && max == 2_000_000
            }
            #expect(try await indexedRecords(store, did).isEmpty)
            try await commit(store, did, Array(writes.prefix(2)))
            #expect(try await indexedRecords(store, did).count == 2)
            await store.close()
        }
    }

    @Test func missingAndExistingRecords() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(6)
            try await createRepoActor(store, did)
            try await commit(store, did, [.create(postCollection, rkey("3ka"), post("a"))])
            // As in the reference (MST add/update/delete), these are errors at the repo level.
            await #expect(throws: RepoError.recordExists("app.bsky.feed.post/3ka")) {
                try await commit(store, did, [.create(postCollection, rkey("3ka"), post("again"))])
            }
            await #expect(throws: RepoError.recordNotFound("app.bsky.feed.post/3kmissing")) {
                try await commit(store, did, [.update(postCollection, rkey("3kmissing"), post("x"))])
            }
            await #expect(throws: RepoError.recordNotFound("app.bsky.feed.post/3kmissing")) {
                try await commit(store, did, [.delete(postCollection, rkey("3kmissing"))])
            }
            await #expect(throws: RepoError.duplicateWrite("app.bsky.feed.post/3ka")) {
                try await commit(
                    store, did,
                    [.update(postCollection, rkey("3ka"), post("b")), .delete(postCollection, rkey("3ka"))])
            }
            // The deleteRecord handler's no-op: it checks the index in the same transaction and skips the commit.
            let root = try await store.read(did) { try $0.repo.root()?.cid }
            let skipped = try await store.transact(did) { txn -> CommitData? in
                let uri = ATURI(did: did, collection: postCollection, rkey: rkey("3kmissing"))
                guard try txn.recordReader.currentRecordCID(uri: uri) != nil else { return nil }
                return try txn.repo.processWrites([.delete(postCollection, rkey("3kmissing"))], swapCommit: nil)
            }
            #expect(skipped == nil)
            #expect(try await store.read(did) { try $0.repo.root()?.cid } == root)
            await store.close()
        }
    }

    @Test func processWritesNeedsAGenesisCommit() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(7)
            try await store.create(did, keypair: Secp256k1Keypair())
            await #expect(throws: RepoError.emptyRepo) {
                try await commit(store, did, [.create(postCollection, rkey("3ka"), post("a"))])
            }
            await store.close()
        }
    }

    @Test func backlinksFollowUpdatesAndDeletes() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(8)
            try await createRepoActor(store, did)
            let (alice, bob) = (testDID(900), testDID(901))
            let postURI = "at://\(alice.rawValue)/app.bsky.feed.post/3kpost"
            func links(_ collection: NSID, _ path: String, _ target: String) async throws -> [String] {
                try await store.read(did) { reader in
                    try reader.record.backlinks(collection: collection.rawValue, path: path, linkTo: target)
                        .map(\.uri.rawValue)
                }
            }
            let followURI = ATURI(did: did, collection: followCollection, rkey: rkey("3kf")).rawValue
            let likeURI = ATURI(did: did, collection: likeCollection, rkey: rkey("3kl")).rawValue
            try await commit(
                store, did,
                [.create(followCollection, rkey("3kf"), follow(alice)), .create(likeCollection, rkey("3kl"), like(postURI))])
            #expect(try await links(followCollection, "subject", alice.rawValue) == [followURI])
            #expect(try await links(likeCollection, "subject.uri", postURI) == [likeURI])
            let conflicts = try await store.read(did) { reader in
                try reader.record.backlinkConflicts(
                    uri: ATURI(did: did, collection: followCollection, rkey: rkey("3kf2")), record: follow(alice))
            }
            #expect(conflicts.map(\.rawValue) == [followURI])

            try await commit(store, did, [.update(followCollection, rkey("3kf"), follow(bob))])
            #expect(try await links(followCollection, "subject", alice.rawValue).isEmpty)
            #expect(try await links(followCollection, "subject", bob.rawValue) == [followURI])

            try await commit(store, did, [.delete(likeCollection, rkey("3kl")), .delete(followCollection, rkey("3kf"))])
            #expect(try await links(likeCollection, "subject.uri", postURI).isEmpty)
            #expect(try await links(followCollection, "subject", bob.rawValue).isEmpty)
            let leftovers = try await store.read(did) { reader in
                try Int.fetchOne(reader.db, sql: "SELECT count(*) FROM backlink") ?? -1
            }
            #expect(leftovers == 0)
            await store.close()
        }
    }

    @Test func recordsWithIdenticalContentShareABlockUntilTheLastGoes() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(9)
            let keypair = try await createRepoActor(store, did)
            let same = post("same")
            let created = try await commit(
                store, did, [.create(postCollection, rkey("3ka"), same), .create(postCollection, rkey("3kb"), same)])
            let shared = try #require(created.ops[0].cid)
            let deleteA = try await commit(store, did, [.delete(postCollection, rkey("3ka"))])
            #expect(!deleteA.removedCIDs.contains(shared))
            #expect(try await verifiedRecords(store, did, key: keypair.publicKey) == ["app.bsky.feed.post/3kb": shared])
            let deleteB = try await commit(store, did, [.delete(postCollection, rkey("3kb"))])
            #expect(deleteB.removedCIDs.contains(shared))
            #expect(try await store.read(did) { try $0.repo.storage.has(shared) } == false)
            await store.close()
        }
    }
}
