import ATCore
import ATCrypto
import ATRepo
import Foundation
import GRDB
import SQLiteSupport
import Synchronization
import Testing

@testable import ActorStore

/// Many writers and readers over more actors than the handle cache holds, so handles are evicted mid-flight.
@Suite struct ConcurrencyTests {
    final class Tally: Sendable {
        let acknowledged = Mutex<[DID: Int]>([:])
        let busyErrors = Mutex(0)
        let maxOpenFiles = Mutex(0)
    }

    // MARK: - The repo operations under test
    //
    // Until ATRepo's `Repo` is available, a "commit" is a DAG-CBOR block linking to the previous root (a hash chain)
    // written through `SQLRepoStorage`; `verifyChain` re-hashes every block from the root. Swapping in the real thing
    // means replacing these two functions with `Repo.formatCommit`/`applyCommit` and ATRepo's verification.

    /// Appends one commit to the actor's chain inside `txn`; returns its sequence number (1-based).
    static func appendCommit(_ txn: ActorStoreTransactor, writer: Int) throws -> Int64 {
        let storage = txn.storage
        let previous = try storage.root()
        let sequence = try previous.map { try storage.value($0.cid)["seq"]?.integer ?? 0 } ?? 0
        let rev = TID(timestampMicroseconds: (previous?.rev.timestampMicroseconds ?? 1_700_000_000_000_000) + 1, clockID: 0)
        let commit: LexValue = [
            "did": .string(txn.did.rawValue),
            "seq": .integer(sequence + 1),
            "rev": .string(rev.rawValue),
            "writer": .integer(Int64(writer)),
            "prev": previous.map { .link($0.cid) } ?? .null,
        ]
        var blocks = BlockMap()
        let cid = blocks.add(commit)
        try storage.putMany(blocks, rev: rev)
        try storage.updateRoot(cid, rev: rev)
        return sequence + 1
    }

    /// Walks the chain from the root, checking every block's hash against its CID and the sequence numbers;
    /// returns the number of commits.
    static func verifyChain(_ storage: some RepoStorage, did: DID) throws -> Int {
        guard var cursor = try storage.root() else { return 0 }
        var count = 0
        var expectedSequence: Int64?
        var cid: CID? = cursor.cid
        while let current = cid {
            let bytes = try storage.bytes(current)
            #expect(CID.dagCBOR(hashing: bytes) == current, "block hash mismatch")
            let value = try DAGCBOR.decode(bytes)
            #expect(value["did"]?.string == did.rawValue)
            let sequence = value["seq"]?.integer ?? -1
            if let expectedSequence { #expect(sequence == expectedSequence) }
            expectedSequence = sequence - 1
            if count == 0 { #expect(value["rev"]?.string == cursor.rev.rawValue) }
            count += 1
            cid = value["prev"]?.link
            cursor = (cid ?? current, cursor.rev)
        }
        #expect(expectedSequence == 0)
        return count
    }

    @Test func twoHundredWritersOverTwentyActorsWithEvictions() async throws {
        FileDescriptorLimit.raise()
        try await withTemporaryDirectory { dir in
            let actorCount = 20
            let writerTasks = 200
            let writesPerTask = 3
            let readerTasks = 40
            let readsPerTask = 15
            let store = try makeStore(dir, handles: 4, keys: 4)
            let dids = (0..<actorCount).map { testDID(100 + $0) }
            for did in dids { try await store.create(did, keypair: Secp256k1Keypair()) }
            await store.closeAllHandles()
            let filesBefore = openFiles(under: dir)
            let totalBefore = FileDescriptorLimit.openCount() ?? 0

            let tally = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writerTasks {
                    group.addTask {
                        let did = dids[writer % actorCount]
                        for _ in 0..<writesPerTask {
                            do {
                                _ = try await store.transact(did) { try Self.appendCommit($0, writer: writer) }
                                tally.acknowledged.withLock { $0[did, default: 0] += 1 }
                            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                                tally.busyErrors.withLock { $0 += 1 }
                                throw error
                            }
                        }
                    }
                }
                for reader in 0..<readerTasks {
                    group.addTask {
                        for read in 0..<readsPerTask {
                            let did = dids[(reader * 7 + read) % actorCount]
                            // In one snapshot the root block is always present and hashes to its CID.
                            let consistent = try await store.read(did) { reader -> Bool in
                                guard let root = try reader.repo.root() else { return true }
                                let bytes = try reader.repo.storage.bytes(root.cid)
                                return CID.dagCBOR(hashing: bytes) == root.cid
                            }
                            #expect(consistent)
                            let open = openFiles(under: dir).count
                            tally.maxOpenFiles.withLock { $0 = max($0, open) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(tally.busyErrors.withLock { $0 } == 0)

            // Evictions happened: the cache never held more than its capacity of idle handles.
            #expect(store.handles.counts.cached <= 4)
            #expect(store.handles.counts.leases == 0)
            await store.close()
            #expect(openFiles(under: dir) == filesBefore)
            #expect(filesBefore.isEmpty)
            let totalAfter = FileDescriptorLimit.openCount() ?? 0
            // Other suites run in parallel, so the process-wide count is informational; files under `dir` are exact.
            print("fds: process \(totalBefore) -> \(totalAfter), max open under test dir \(tally.maxOpenFiles.withLock { $0 })")

            // Every acknowledged write is there, in a chain that verifies, read back through a fresh store.
            let fresh = try makeStore(dir, handles: 2)
            let counts = tally.acknowledged.withLock { $0 }
            #expect(counts.values.reduce(0, +) == writerTasks * writesPerTask)
            for did in dids {
                let length = try await fresh.read(did) { try Self.verifyChain($0.repo.storage, did: did) }
                #expect(length == counts[did], "actor \(did)")
                #expect(length == writerTasks / actorCount * writesPerTask)
            }
            await fresh.close()
            #expect(openFiles(under: dir).isEmpty)
        }
    }
}
