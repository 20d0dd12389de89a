import ATCore
import ATCrypto
import ATRepo

/// Measures the repository layer: MST inserts (10k and 100k keys, root CID included), commit
/// create+sign+store on a 10k-record repo, and full CAR export throughput.
func runRepoBenchmark() {
    do {
        for count in [10_000, 100_000] { try measureInserts(count: count) }
        try measureCommits(records: 10_000, commits: 1_000)
        try measureExport(records: 100_000)
    } catch {
        print("repo benchmark failed: \(error)")
    }
}

private func benchKeys(_ count: Int) -> [String] {
    var state: UInt64 = 0x1234_5678
    let alphabet = Array("234567abcdefghijklmnopqrstuvwxyz")
    return (0..<count).map { _ in
        var rkey = ""
        for _ in 0..<13 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            rkey.append(alphabet[Int(state >> 59)])
        }
        return "app.bsky.feed.post/\(rkey)"
    }
}

private func measureInserts(count: Int) throws {
    let keys = Array(Set(benchKeys(count)))
    let value = DAGCBOR.cid(of: .string("value"))
    var root: CID?
    let time = try ContinuousClock().measure {
        var tree = MST(storage: MemoryBlockstore())
        for key in keys { tree = try tree.adding(key, value) }
        root = tree.rootCID
    }
    precondition(root != nil)
    report("mst.insert.\(count / 1000)k", count: keys.count, unit: "inserts/s", duration: time)
}

private func measureCommits(records: Int, commits: Int) throws {
    let keypair = try Secp256k1Keypair(privateKey: Array(repeating: 0x42, count: 32))
    let did = try DID("did:plc:benchmark0000000000000000")
    let collection = try NSID("app.bsky.feed.post")
    let store = MemoryBlockstore()
    var repo = try Repo.create(
        storage: store, did: did, keypair: keypair,
        writes: benchKeys(records).enumerated().map { n, key in
            .create(collection, try! RecordKey(key.split(separator: "/")[1]), post(n))
        })
    let time = try ContinuousClock().measure {
        for n in 0..<commits {
            let write = RepoWrite.create(
                collection, RecordKey(TID(timestampMicroseconds: 1_700_000_000_000_000 + UInt64(n), clockID: 1)),
                post(records + n))
            repo = try repo.applyWrites([write], keypair: keypair).repo
        }
    }
    report("commit.create+sign", count: commits, unit: "commits/s", duration: time)
}

private func measureExport(records: Int) throws {
    let keypair = try Secp256k1Keypair(privateKey: Array(repeating: 0x42, count: 32))
    let collection = try NSID("app.bsky.feed.post")
    let repo = try Repo.create(
        storage: MemoryBlockstore(), did: try DID("did:plc:benchmark0000000000000000"), keypair: keypair,
        writes: Array(Set(benchKeys(records))).enumerated().map { n, key in
            .create(collection, try! RecordKey(key.split(separator: "/")[1]), post(n))
        })
    var bytes = 0
    let time = try ContinuousClock().measure {
        try repo.exportCAR(chunkSize: 1 << 20) { bytes += $0.count }
    }
    let seconds = time.timeInterval
    let mb = Double(bytes) / 1_000_000
    let rate = (mb / seconds * 10).rounded() / 10
    print("car.export.\(records / 1000)k         \(rate) MB/s (\((mb * 10).rounded() / 10) MB)")
}

private func post(_ n: Int) -> LexValue {
    .map([
        "$type": .string("app.bsky.feed.post"), "text": .string("benchmark post number \(n) with a little text"),
        "createdAt": .string("2024-01-01T00:00:00.000Z"), "langs": .array([.string("en")]),
    ])
}

private func report(_ label: String, count: Int, unit: String, duration: Duration) {
    let seconds = duration.timeInterval
    let padding = String(repeating: " ", count: max(1, 22 - label.count))
    print("\(label)\(padding)\(Int((Double(count) / seconds).rounded())) \(unit)")
}
