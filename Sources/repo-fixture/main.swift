import ATCore
import ATCrypto
import ATRepo
import Foundation

// Writes a deterministic test repository for the Python interop check (Tests/e2e/test_repo_interop.py):
//   <dir>/repo.car   the full CAR export (commit first)
//   <dir>/repo.json  {did, signingKey (did:key), commit, data, records: {path: cid}}
// Usage: repo-fixture <output directory>

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: repo-fixture <output directory>\n".utf8))
    exit(2)
}
let directory = URL(fileURLWithPath: CommandLine.arguments[1], isDirectory: true)

let keypair = try Secp256k1Keypair(privateKey: Array(repeating: 0x5A, count: 32))
let did = try DID("did:plc:interoprepo00000000000000")
let clock = TIDGenerator(clockID: 7) { 1_700_000_000_000_000 }
let collections = ["app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow", "com.example.record"]
    .map { try! NSID($0) }

func record(_ n: Int, _ collection: NSID) -> LexValue {
    .map([
        "$type": .string(collection.rawValue), "text": .string("record number \(n)"), "n": .integer(Int64(n)),
        "createdAt": .string("2024-01-01T00:00:00.000Z"), "tags": .array([.string("a"), .string("b\(n % 7)")]),
    ])
}

func rkey(_ n: Int) -> RecordKey {
    RecordKey(TID(timestampMicroseconds: 1_600_000_000_000_000 + UInt64(n) * 7_919_113, clockID: UInt16(n % 1024)))
}

let storage = MemoryBlockstore()
var repo = try Repo.create(
    storage: storage, did: did, keypair: keypair,
    writes: (0..<300).map { .create(collections[$0 % 4], rkey($0), record($0, collections[$0 % 4])) }, revs: clock)
// Further commits: more creates, updates and deletes (some merge subtrees).
for batch in 0..<10 {
    var writes: [RepoWrite] = []
    var touched: Set<String> = []
    func path(_ i: Int) -> String { "\(collections[i % 4].rawValue)/\(rkey(i).rawValue)" }
    for i in 0..<20 {
        let n = 300 + batch * 20 + i
        writes.append(.create(collections[n % 4], rkey(n), record(n, collections[n % 4])))
    }
    for i in stride(from: batch, to: 300, by: 37)
    where try repo.data.get(path(i)) != nil && touched.insert(path(i)).inserted {
        writes.append(.update(collections[i % 4], rkey(i), record(10_000 + i + 1000 * batch, collections[i % 4])))
    }
    for i in stride(from: batch * 7 + 3, to: 300, by: 23)
    where try repo.data.get(path(i)) != nil && touched.insert(path(i)).inserted {
        writes.append(.delete(collections[i % 4], rkey(i)))
    }
    repo = try repo.applyWrites(writes, keypair: keypair, revs: clock).repo
}

let car = try repo.exportCAR()
var records: [String: String] = [:]
for (key, value) in try repo.data.entries() { records[key] = value.description }
let summary: [String: Any] = [
    "did": did.rawValue, "signingKey": keypair.did, "commit": repo.cid.description,
    "data": repo.data.rootCID.description, "rev": repo.commit.rev.rawValue, "records": records,
]
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
try Data(car).write(to: directory.appendingPathComponent("repo.car"))
try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .prettyPrinted])
    .write(to: directory.appendingPathComponent("repo.json"))
print("wrote \(records.count) records, commit \(repo.cid)")
