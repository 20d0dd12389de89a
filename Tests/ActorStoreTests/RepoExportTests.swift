import ATCore
import ATCrypto
import ATRepo
import Foundation
import GRDB
import TestFixtures
import Testing

@testable import ActorStore

/// CAR export (full, incremental, streamed) and record proofs through the store.
@Suite struct RepoExportTests {
    /// The CIDs of a CAR's blocks, in order.
    static func cids(_ car: [UInt8]) throws -> [CID] {
        try CARReader.read(car).blocks.map(\.cid)
    }

    @Test func incrementalExportHoldsExactlyTheLaterCommitsBlocks() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(20)
            let keypair = try await createRepoActor(store, did)
            let first = try await commit(store, did, (0..<30).map { .create(postCollection, rkey("3ka\($0)"), post("a\($0)")) })
            let carAtFirst = try await store.read(did) { try $0.repo.exportCAR() }
            let second = try await commit(store, did, (0..<20).map { .create(postCollection, rkey("3kb\($0)"), post("b\($0)")) })
            let third = try await commit(store, did, [.create(postCollection, rkey("3kc"), post("c"))])

            var expected = Set(second.newBlocks.cids).union(third.newBlocks.cids)
            expected.subtract(third.removedCIDs)
            let since = try await store.read(did) { try $0.repo.exportCAR(since: first.rev) }
            let sinceCIDs = try Self.cids(since)
            #expect(sinceCIDs.first == third.cid)
            #expect(Set(sinceCIDs) == expected)
            #expect(sinceCIDs.count == expected.count)
            #expect(try CARReader.read(since).roots == [third.cid])

            // Since the latest revision: just the commit.
            #expect(try Self.cids(try await store.read(did) { try $0.repo.exportCAR(since: third.rev) }) == [third.cid])

            // The repo at `first` plus the increment is the current repo, and it verifies.
            let replica = MemoryBlockstore()
            var blocks = BlockMap()
            for block in try CARReader.read(carAtFirst).blocks + CARReader.read(since).blocks {
                blocks.set(block.cid, block.bytes)
            }
            replica.put(blocks)
            let verified = try RepoVerifier.verify(commitCID: third.cid, storage: replica, did: did, key: keypair.publicKey)
            #expect(verified.records.count == 51)

            // Streaming produces the same bytes in small chunks.
            let chunks = try await store.read(did) { reader in
                var chunks: [[UInt8]] = []
                try reader.repo.exportCAR(since: first.rev, chunkSize: 256) { chunks.append($0) }
                return chunks
            }
            #expect(chunks.count > 3)
            #expect(chunks.flatMap { $0 } == since)
            let fullChunks = try await store.read(did) { reader in
                var chunks: [[UInt8]] = []
                try reader.repo.exportCAR(since: nil, chunkSize: 256) { chunks.append($0) }
                return chunks
            }
            #expect(fullChunks.flatMap { $0 } == (try await store.read(did) { try $0.repo.exportCAR() }))
            await store.close()
        }
    }

    @Test func incrementalExportPagesPastFiveHundredBlocks() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(21)
            try await createRepoActor(store, did)
            let genesis = try #require(try await store.read(did) { try $0.repo.root() })
            var last: CommitData?
            for batch in 0..<4 {
                last = try await commit(
                    store, did, (0..<200).map { .create(postCollection, rkey("3k\(batch)x\($0)"), post("\(batch)/\($0)")) })
            }
            let (inMemory, streamed, stored) = try await store.read(did) { reader in
                var streamed: [UInt8] = []
                try reader.repo.exportCAR(since: genesis.rev, chunkSize: 4096) { streamed += $0 }
                return (try reader.repo.exportCAR(since: genesis.rev), streamed, try reader.repo.blockCount())
            }
            #expect(streamed == inMemory)
            let cids = try Self.cids(streamed)
            #expect(cids.count > 800)
            #expect(cids.count == stored)  // nothing from genesis survives four commits (its commit block is gone)
            #expect(cids.first == last?.cid)
            await store.close()
        }
    }

    @Test func recordProofsVerify() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(22)
            let keypair = try await createRepoActor(store, did)
            let head = try await commit(store, did, (0..<100).map { .create(postCollection, rkey("3kp\($0)"), post("p\($0)")) })
            for (key, present) in [("3kp42", true), ("3kp999", false)] {
                let proof = try await store.read(did) { try $0.repo.getRecordProof(collection: postCollection, rkey: rkey(key)) }
                #expect(proof.commit == head.cid)
                #expect((proof.record != nil) == present)
                // Only the proof's blocks: the commit verifies, the path resolves, nothing is missing.
                let (roots, blocks) = try CARReader.read(proof.car())
                #expect(roots == [head.cid])
                var map = BlockMap()
                for block in blocks { map.set(block.cid, block.bytes) }
                let storage = MemoryBlockstore(map)
                let commit = try Commit(bytes: storage.bytes(head.cid))
                #expect(commit.verifySignature(with: keypair.publicKey))
                let tree = try MST.load(storage: storage, root: commit.data)
                let found = try tree.get("app.bsky.feed.post/\(key)")
                #expect(found == proof.record)
                if let found { #expect(try storage.value(found)["text"]?.string == "p42") }
                #expect(map.count < 20)
            }
            await store.close()
        }
    }

    /// A store laid out by the reference (its DDL, its row formats) with a real genesis commit takes commits.
    @Test func referenceSchemaStoreAcceptsCommits() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(23)
            let keypair = Secp256k1Keypair()
            let location = store.location(of: did)
            try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
            try Data(keypair.exportPrivateKey()).write(to: location.key)
            let genesis = try Repo.formatInitCommit(
                storage: MemoryBlockstore(), did: did, keypair: keypair,
                writes: [.create(postCollection, rkey("3kref"), post("from the reference"))])
            let queue = try DatabaseQueue(path: location.database.path)
            try await queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                for statement in referenceActorDDL { try db.execute(sql: statement) }
                for (cid, bytes) in genesis.newBlocks {
                    try db.execute(
                        sql: "insert into repo_block (cid, repoRev, size, content) values (?, ?, ?, ?)",
                        arguments: [cid.description, genesis.rev.rawValue, bytes.count, Data(bytes)])
                }
                try db.execute(
                    sql: "insert into repo_root (did, cid, rev, indexedAt) values (?, ?, ?, ?)",
                    arguments: [did.rawValue, genesis.cid.description, genesis.rev.rawValue, "2023-11-01T10:00:00.000Z"])
                try db.execute(
                    sql: "insert into record (uri, cid, collection, rkey, repoRev, indexedAt) values (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        "at://\(did.rawValue)/app.bsky.feed.post/3kref", genesis.ops[0].cid!.description,
                        "app.bsky.feed.post", "3kref", genesis.rev.rawValue, "2023-11-01T10:00:00.000Z",
                    ])
            }
            try queue.close()

            let next = try await commit(
                store, did,
                [
                    .update(postCollection, rkey("3kref"), post("from swift"), swapRecord: .cid(genesis.ops[0].cid!)),
                    .create(followCollection, rkey("3kfollow"), follow(testDID(901))),
                ],
                swapCommit: genesis.cid)
            #expect(next.since == genesis.rev)
            let records = try await verifiedRecords(store, did, key: keypair.publicKey)
            #expect(records.count == 2)
            #expect(try await indexedRecords(store, did) == records)
            await store.close()

            let reopened = try DatabaseQueue(path: location.database.path)
            try await reopened.read { db throws in
                #expect(try String.fetchAll(db, sql: "SELECT name FROM kysely_migration") == ["001"])
                #expect(try String.fetchOne(db, sql: "SELECT rev FROM repo_root") == next.rev.rawValue)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM backlink") == 1)
            }
            try reopened.close()
        }
    }
}
