import ATCore
import ATCrypto
import ATRepo
import ActorStore
import Foundation
import GRDB
import SQLiteSupport

/// Measures the actor store's handle cache against the reference's open-per-request approach, the cost of a cold
/// open, and the footprint of many cached handles. Prints one line per figure.
///
/// - `actorstore.read.warm`: `read(did)` on a cached handle: `select * from repo_root` plus one record.
/// - `actorstore.read.open-per-request`: the reference's way: open the file, the same two queries, close.
/// - `actorstore.open.cold`: latency of the first `read` of an actor whose handle is not cached.
/// - `actorstore.commit.*`: signed single-write commits through `processWrites` (see
///   ``runActorStoreCommitBenchmark(directory:commits:actors:tasks:)``).
/// - `actorstore.handles`: descriptors and RSS with `ACTORSTORE_BENCH_HANDLES` (default 10,000) cached handles, or
///   as many as the file-descriptor limit allows for the worst case (writer + every reader per pool).
///
/// - Note: Measured on the 2-core Linux VM (release, SQLite 3.40.1, hard fd limit 20,000 that even root could not
///   raise): warm 15–20k reads/s vs 1.5–1.9k reads/s open-per-request (≈10.5×); cold open p50 ≈2.3–2.4 ms,
///   p99 ≈4–6 ms; 2,784 cached handles (all that fit 7 fds each in 20,000) held 5.0 fds and ≈150–200 KiB RSS
///   each, so 10,000 would need ≈50,000 descriptors and ≈1.5–2 GiB.
/// - Parameters:
///   - reads: reads per throughput measurement.
func runActorStoreBenchmark(reads: Int = 20_000) async throws {
    let wantedHandles = ProcessInfo.processInfo.environment["ACTORSTORE_BENCH_HANDLES"].flatMap(Int.init) ?? 10_000
    let sqlite = SQLiteConfiguration()
    // Room for every handle's worst case plus slack; only a privileged process can go above the hard limit.
    let limit = FileDescriptorLimit.raise(to: rlim_t(wantedHandles * sqlite.fileDescriptorsPerPool + 1_024))
    print("actorstore.fd-limit          \(limit)")

    let root = FileManager.default.temporaryDirectory.appendingPathComponent("actorstore-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let actors = root.appendingPathComponent("actors")

    // One actor with a few hundred records, for the read benchmarks.
    let store = try ActorStore(configuration: .init(actorsDirectory: actors, handleCacheSize: 64, sqlite: sqlite))
    let did = try DID("did:plc:benchmarkaaaaaaaaaaaaaaa")
    try await store.create(did, keypair: Secp256k1Keypair())
    let uris = try await seedRecords(store, did: did, count: 300)

    // Warm: the handle stays cached.
    let warmTime = try await ContinuousClock().measure {
        for i in 0..<reads {
            let uri = uris[i % uris.count]
            let found = try await store.read(did) { reader in
                _ = try reader.repo.root()
                return try reader.record.getRecord(uri: uri) != nil
            }
            precondition(found)
        }
    }
    let warmRate = Double(reads) / warmTime.timeInterval

    // Concurrent warm reads (two tasks per core would only queue on the pool's two readers).
    let concurrentTime = try await ContinuousClock().measure {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask {
                    for i in stride(from: t, to: reads, by: 4) {
                        let uri = uris[i % uris.count]
                        _ = try await store.read(did) { reader in
                            _ = try reader.repo.root()
                            return try reader.record.getRecord(uri: uri) != nil
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    let concurrentRate = Double(reads) / concurrentTime.timeInterval
    await store.close()

    // Open per request, as the reference does (a plain connection on the WAL file, two queries, close).
    let path = ActorLocation(did: did, actorsDirectory: actors).database.path
    let openReads = max(1_000, reads / 10)
    let openTime = try ContinuousClock().measure {
        for i in 0..<openReads {
            let queue = try DatabaseQueue(path: path)
            let found = try queue.read { db in
                _ = try Row.fetchAll(db, sql: "select * from repo_root")
                return try Row.fetchOne(
                    db,
                    sql: "select * from record join repo_block on repo_block.cid = record.cid where record.uri = ?",
                    arguments: [uris[i % uris.count].rawValue]
                ) != nil
            }
            precondition(found)
            try queue.close()
        }
    }
    let openRate = Double(openReads) / openTime.timeInterval
    printLine("actorstore.read.warm", "\(Int(warmRate)) reads/s (1 task, cached handle)")
    printLine("actorstore.read.warm-4", "\(Int(concurrentRate)) reads/s (4 tasks, cached handle)")
    printLine("actorstore.read.open-per-req", "\(Int(openRate)) reads/s (open, repo_root, record, close)")
    printLine("actorstore.read.ratio", String(format: "%.1fx warm vs open-per-request", warmRate / openRate))

    // Commits through the store.
    try await runActorStoreCommitBenchmark(directory: root.appendingPathComponent("commit-actors"))

    // Many actors: cold opens, then the footprint of keeping them all cached.
    let handles = min(wantedHandles, (Int(limit) - 512) / sqlite.fileDescriptorsPerPool)
    if handles < wantedHandles {
        print("actorstore.handles            fd limit \(limit) fits \(handles) of \(wantedHandles) pools (worst case)")
    }
    let many = try ActorStore(
        configuration: .init(actorsDirectory: actors, handleCacheSize: handles, keyCacheSize: handles, sqlite: sqlite)
    )
    let dids = try (0..<handles).map { try DID("did:plc:bench\(String(format: "%019d", $0))") }
    let createTime = try await ContinuousClock().measure {
        for did in dids { try await many.create(did, keypair: Secp256k1Keypair()) }
    }
    let createMilliseconds = createTime.timeInterval * 1000 / Double(handles)
    printLine("actorstore.create", String(format: "%.2f ms/actor (%d actors)", createMilliseconds, handles))
    await many.closeAllHandles()

    let (fdsBase, rssBase) = (FileDescriptorLimit.openCount() ?? 0, residentKiB())
    var coldLatencies: [Double] = []
    coldLatencies.reserveCapacity(handles)
    for did in dids {
        let start = ContinuousClock.now
        _ = try await many.read(did) { try $0.repo.root() }
        coldLatencies.append((ContinuousClock.now - start).timeInterval * 1000)
    }
    coldLatencies.sort()
    func percentile(_ p: Double) -> Double {
        coldLatencies[min(coldLatencies.count - 1, Int(Double(coldLatencies.count) * p))]
    }
    printLine(
        "actorstore.open.cold",
        String(format: "p50 %.2f ms, p99 %.2f ms, mean %.2f ms (open pool + schema check + first read)",
            percentile(0.5), percentile(0.99), coldLatencies.reduce(0, +) / Double(coldLatencies.count))
    )
    let (fds, rss) = (FileDescriptorLimit.openCount() ?? 0, residentKiB())
    printLine(
        "actorstore.handles",
        String(format: "%d cached: +%d fds (%.1f/handle), +%.0f MiB RSS (%.0f KiB/handle)",
            handles, fds - fdsBase, Double(fds - fdsBase) / Double(handles), Double(rss - rssBase) / 1024,
            Double(rss - rssBase) / Double(handles))
    )
    // A second pass over the same actors hits the cache.
    let rereadTime = try await ContinuousClock().measure {
        for did in dids { _ = try await many.read(did) { try $0.repo.root() } }
    }
    let manyRate = Int(Double(handles) / rereadTime.timeInterval)
    printLine("actorstore.read.cached-many", "\(manyRate) reads/s over \(handles) cached actors")
    let closeTime = await ContinuousClock().measure { await many.close() }
    printLine("actorstore.close-all", String(format: "%.2f s for %d handles, fds now %d", closeTime.timeInterval, handles,
        FileDescriptorLimit.openCount() ?? 0))
}

/// Creates the actor's repo with `count` posts in its genesis commit (a real signed commit and MST).
private func seedRecords(_ store: ActorStore, did: DID, count: Int) async throws -> [ATURI] {
    let collection = try NSID("app.bsky.feed.post")
    let writes = (0..<count).map { i in
        RepoWrite.create(
            collection, RecordKey(TID(timestampMicroseconds: 1_700_000_000_000_000 + UInt64(i), clockID: 1)),
            [
                "$type": "app.bsky.feed.post", "text": .string("post number \(i) with some text in it"),
                "createdAt": "2024-01-01T00:00:00.000Z",
            ])
    }
    _ = try await store.transact(did) { txn in try txn.repo.createRepo(writes: writes) }
    return writes.map { ATURI(did: did, collection: $0.collection, rkey: $0.rkey) }
}

/// VmRSS from `/proc/self/status`, in KiB (0 where unavailable).
private func residentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
    return 0
}

private func printLine(_ label: String, _ value: String) {
    print(label + String(repeating: " ", count: max(1, 30 - label.count)) + value)
}
