import ATCore
import ATCrypto
import ATRepo
import Foundation
import TestFixtures
import Testing

@testable import Sequencer

/// Event bodies: DAG-CBOR round trips, the subscribeRepos lexicon's shapes, and a real commit's invertibility.
@Suite struct SeqEventTests {
    static let did = testDID(7)

    static func sampleCommit() throws -> (CommitData, MemoryBlockstore) {
        let store = MemoryBlockstore()
        let post = try NSID("app.bsky.feed.post")
        let repo = try Repo.create(
            storage: store, did: did, keypair: testKeypair,
            writes: (0..<20).map { .create(post, try! RecordKey("rec\($0)"), testRecord("initial \($0)")) })
        let (_, commit) = try repo.applyWrites(
            [
                .create(post, try RecordKey("new1"), testRecord("created")),
                .update(post, try RecordKey("rec3"), testRecord("updated")),
                .delete(post, try RecordKey("rec11")),
            ], keypair: testKeypair)
        return (commit, store)
    }

    static func samples() throws -> [SeqEvent] {
        let (commit, _) = try sampleCommit()
        let genesis = try Repo.formatInitCommit(storage: MemoryBlockstore(), did: did, keypair: testKeypair)
        return [
            .commit(CommitEvent(did: did, commit: commit)),
            .commit(CommitEvent(did: did, commit: genesis)),
            .sync(try SyncEvent(did: did, commit: commit)),
            .identity(IdentityEvent(did: did, handle: try Handle("alice.test"))),
            .identity(IdentityEvent(did: did)),
            .account(AccountEvent(did: did, active: true)),
            .account(AccountEvent(did: did, active: false, status: .takendown)),
            .account(AccountEvent(did: did, active: false, status: AccountEvent.Status(rawValue: "somethingNew"))),
        ]
    }

    @Test func bodiesRoundTripThroughDAGCBOR() throws {
        for event in try Self.samples() {
            let decoded = try SeqEvent(type: event.eventType, bodyBytes: event.bodyBytes)
            #expect(decoded == event)
            #expect(decoded.did == Self.did)
        }
    }

    @Test func framesMatchTheLexicon() throws {
        let lexicon = try SubscribeReposLexicon()
        for (index, event) in try Self.samples().enumerated() {
            let sequenced = try SequencedEvent(
                seq: Int64(index + 1), did: event.did, type: event.eventType, time: "2024-05-01T12:00:00.000Z",
                bodyBytes: event.bodyBytes)
            // The frame spliced from the stored bytes is byte-for-byte the canonical encoding of the whole message.
            var whole = event.body.map ?? [:]
            whole["seq"] = .integer(Int64(index + 1))
            whole["time"] = .string("2024-05-01T12:00:00.000Z")
            #expect(sequenced.frameBytes == SubscriptionFrame.message(type: event.eventType.messageType, body: .map(whole)).bytes)
            let frame = try SubscriptionFrame(bytes: sequenced.frameBytes)
            guard case .message(let type, let body) = frame else {
                Issue.record("not a message frame")
                continue
            }
            #expect(type == event.eventType.messageType)
            #expect(body["seq"]?.integer == Int64(index + 1))
            #expect(body["time"]?.string == "2024-05-01T12:00:00.000Z")
            let problems = lexicon.check(body, against: String(type.dropFirst()))
            #expect(problems.isEmpty, "\(type): \(problems)")
        }
        let info = OutboxItem.outdatedCursor
        guard case .message(let type, let body) = try SubscriptionFrame(bytes: info.frameBytes) else {
            Issue.record("info is not a message")
            return
        }
        #expect(type == "#info")
        #expect(lexicon.check(body, against: "info").isEmpty)
    }

    @Test func commitBodyFields() throws {
        let (commit, _) = try Self.sampleCommit()
        let body = SeqEvent.commit(CommitEvent(did: Self.did, commit: commit)).body
        #expect(body["repo"]?.string == Self.did.rawValue)
        #expect(body["commit"]?.link == commit.cid)
        #expect(body["rev"]?.string == commit.rev.rawValue)
        #expect(body["since"]?.string == commit.since?.rawValue)
        #expect(body["prevData"]?.link == commit.prevData)
        #expect(body["rebase"] == .bool(false))
        #expect(body["tooBig"] == .bool(false))
        #expect(body["blobs"] == .array([]))
        let ops = try #require(body["ops"]?.array)
        #expect(ops.count == 3)
        #expect(ops[0]["action"]?.string == "create")
        #expect(ops[0]["prev"] == nil)
        #expect(ops[1]["action"]?.string == "update")
        #expect(ops[1]["prev"]?.link != nil)
        #expect(ops[2]["action"]?.string == "delete")
        #expect(ops[2]["cid"] == .null)
        #expect(ops[2]["prev"]?.link != nil)
    }

    @Test func genesisCommitOmitsPrevDataAndHasNullSince() throws {
        let genesis = try Repo.formatInitCommit(storage: MemoryBlockstore(), did: Self.did, keypair: testKeypair)
        let body = SeqEvent.commit(CommitEvent(did: Self.did, commit: genesis)).body
        #expect(body["prevData"] == nil)
        #expect(body["since"] == .null)
    }

    @Test func syncCarriesOnlyTheCommitBlock() throws {
        let (commit, _) = try Self.sampleCommit()
        let sync = try SyncEvent(did: Self.did, commit: commit)
        let car = try CARReader.read(sync.blocks)
        #expect(car.roots == [commit.cid])
        #expect(car.blocks.map(\.cid) == [commit.cid])
        #expect(sync.rev == commit.rev)
        #expect(sync.blocks.count <= SyncEvent.maxBlocksSize)
        let fromBlock = try SyncEvent(commitCID: commit.cid, commitBlock: try #require(commit.newBlocks[commit.cid]))
        #expect(fromBlock == sync)
    }

    /// A consumer holding only the event can check it and invert it back to `prevData` (sync 1.1).
    @Test func sequencedCommitInvertsToPrevData() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let (commit, _) = try Self.sampleCommit()
            let seq = try await sequencer.sequenceCommit(did: Self.did, commit: commit)
            let stored = try #require(try await sequencer.requestSeqRange(after: seq - 1).events.first)
            guard case .message("#commit", let body) = try SubscriptionFrame(bytes: stored.frameBytes) else {
                Issue.record("not a #commit frame")
                return
            }
            guard case .commit(let event) = try SeqEvent(type: .append, body: body) else {
                Issue.record("not a commit")
                return
            }
            let car = try CARReader.read(event.blocks)
            #expect(car.roots.first == event.commit)
            var blocks = BlockMap()
            for block in car.blocks {
                #expect(CID.dagCBOR(hashing: block.bytes) == block.cid || block.cid.codec != .dagCBOR)
                blocks.set(block.cid, block.bytes)
            }
            let commitObject = try Commit(bytes: try #require(blocks[event.commit]))
            #expect(commitObject.rev == event.rev)
            #expect(commitObject.verifySignature(with: testKeypair.publicKey))
            let inverted = try Repo.invertCommit(commitCID: event.commit, blocks: blocks, ops: event.ops)
            #expect(inverted == event.prevData)
            #expect(inverted == commit.prevData)
        }
    }

    @Test func malformedBodiesAreRejected() {
        #expect(throws: SequencerError.self) { try SeqEvent(type: .sync, body: .map(["did": "did:plc:x"])) }
        #expect(throws: SequencerError.self) {
            try SeqEvent(type: .account, body: .map(["did": "not a did", "active": true]))
        }
        #expect(throws: SequencerError.self) { try SeqEvent(type: .identity, bodyBytes: [0xff]) }
        #expect(throws: SequencerError.self) {
            try SeqEvent(type: .append, body: .map(["repo": .string(Self.did.rawValue)]))
        }
    }
}

/// A hand-written checker for the object shapes of `com.atproto.sync.subscribeRepos`.
struct SubscribeReposLexicon {
    let defs: [String: Any]

    init() throws {
        let url = Fixtures.lexiconDirectory.appendingPathComponent("com/atproto/sync/subscribeRepos.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        defs = json?["defs"] as? [String: Any] ?? [:]
    }

    /// Problems with `value` as an instance of `defs[name]` (empty when it conforms).
    func check(_ value: LexValue, against name: String) -> [String] {
        guard let def = defs[name] as? [String: Any], let properties = def["properties"] as? [String: Any] else {
            return ["no def \(name)"]
        }
        guard let map = value.map else { return ["\(name) is not an object"] }
        var problems: [String] = []
        let nullable = Set(def["nullable"] as? [String] ?? [])
        for field in def["required"] as? [String] ?? [] {
            guard let present = map[field] else {
                problems.append("\(name).\(field) missing")
                continue
            }
            if present.isNull && !nullable.contains(field) { problems.append("\(name).\(field) null") }
        }
        for (field, fieldValue) in map {
            guard let property = properties[field] as? [String: Any] else {
                problems.append("\(name).\(field) not in the lexicon")
                continue
            }
            if fieldValue.isNull {
                if !nullable.contains(field) { problems.append("\(name).\(field) null") }
                continue
            }
            problems += checkType(fieldValue, property, path: "\(name).\(field)")
        }
        return problems
    }

    private func checkType(_ value: LexValue, _ property: [String: Any], path: String) -> [String] {
        switch property["type"] as? String {
        case "integer": return value.integer == nil ? ["\(path) not an integer"] : []
        case "boolean": return value.bool == nil ? ["\(path) not a boolean"] : []
        case "cid-link": return value.link == nil ? ["\(path) not a link"] : []
        case "string":
            guard let string = value.string else { return ["\(path) not a string"] }
            switch property["format"] as? String {
            case "did": return (try? DID(string)) == nil ? ["\(path) not a DID"] : []
            case "tid": return (try? TID(string)) == nil ? ["\(path) not a TID"] : []
            case "datetime": return (try? Datetime(string)) == nil ? ["\(path) not a datetime"] : []
            case "handle": return (try? Handle(string)) == nil ? ["\(path) not a handle"] : []
            default: return []
            }
        case "bytes":
            guard let bytes = value.bytes else { return ["\(path) not bytes"] }
            if let max = property["maxLength"] as? Int, bytes.count > max { return ["\(path) too long"] }
            return []
        case "array":
            guard let items = value.array else { return ["\(path) not an array"] }
            if let max = property["maxLength"] as? Int, items.count > max { return ["\(path) too long"] }
            guard let itemDef = property["items"] as? [String: Any] else { return [] }
            return items.enumerated().flatMap { index, item in
                if itemDef["type"] as? String == "ref", let ref = itemDef["ref"] as? String {
                    return check(item, against: String(ref.dropFirst()))
                }
                return checkType(item, itemDef, path: "\(path)[\(index)]")
            }
        default:
            return ["\(path) has an unchecked type"]
        }
    }
}
