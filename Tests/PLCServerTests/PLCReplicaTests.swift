import ATCore
import ATCrypto
import Foundation
import Identity
import Logging
import PLCServer
import TestFixtures
import Testing

@Suite struct PLCReplicaTests {
    let recovery = Secp256k1Keypair()
    let rotation = Secp256k1Keypair()
    let attacker = Secp256k1Keypair()
    let start = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func decideAcceptsChainsAndRejectsForgeries() throws {
        let (did, genesis) = try rotation.signedGenesis(PLCFixture.state(rotation: [recovery, rotation]))
        let hijack = try rotation.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [rotation]))
        let forged = try attacker.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [attacker]))
        let recover = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
        let late = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery], handle: "x.test"))
        var position: Int64 = 0
        func parsed(_ operation: PLCOperation, at seconds: TimeInterval, cid: String? = nil)
            -> PLCReplicaValidation.ParsedLine
        {
            defer { position += 1 }
            return PLCReplicaValidation.parse(
                PLCFixture.line(did, operation, at: start.addingTimeInterval(seconds), cid: cid), position: position)
        }
        let decisions = PLCReplicaValidation.decide(
            [
                parsed(genesis, at: 0), parsed(hijack, at: 10), parsed(forged, at: 20),
                parsed(genesis, at: 21, cid: hijack.cid.description), parsed(recover, at: 3600),
            ], history: [])
        #expect(Self.summary(decisions) == ["accepted", "accepted", "rejected", "rejected", "accepted"])
        #expect(Self.reason(decisions[2]) == "Invalid signature on op")
        #expect(Self.reason(decisions[3])?.contains("is not the operation's CID") == true)
        guard case .accepted(_, let nullifies) = decisions[4].outcome else { Issue.record("not accepted"); return }
        #expect(nullifies == [hijack.cid])

        // A recovery more than 72 hours after the operation it would nullify (by the upstream's stamps).
        let lateDecisions = PLCReplicaValidation.decide(
            [parsed(genesis, at: 0), parsed(hijack, at: 10), parsed(late, at: 72 * 3600 + 11)], history: [])
        #expect(Self.summary(lateDecisions) == ["accepted", "accepted", "rejected"])
        #expect(Self.reason(lateDecisions[2])?.contains("Recovery operation") == true
            || Self.reason(lateDecisions[2])?.contains("72") == true)

        // Nothing after a tombstone.
        let tombstone = try rotation.signedTombstone(prev: genesis.cid)
        let after = try rotation.signedUpdate(prev: tombstone.cid, PLCFixture.state(rotation: [rotation]))
        let tombstoned = PLCReplicaValidation.decide(
            [parsed(genesis, at: 0), parsed(tombstone, at: 1), parsed(after, at: 2)], history: [])
        #expect(Self.summary(tombstoned) == ["accepted", "accepted", "rejected"])
    }

    @Test func replicaPagesCommitAndResumeWithoutDuplicates() async throws {
        try await withTemporaryPath { dir in
            let clock = TestWallClock(start)
            let upstream = try EmbeddedPLCDirectory(databasePath: "\(dir)/a.sqlite", now: clock.function)
            var dids: [DID] = []
            for index in 0..<6 {
                let (did, genesis) = try await upstream.createDID(
                    state: PLCFixture.state(rotation: [recovery, rotation], handle: "u\(index).test"), signer: rotation)
                dids.append(did)
                clock.advance(by: 1)
                let update = try rotation.signedUpdate(
                    prev: genesis.cid, PLCFixture.state(rotation: [recovery, rotation], handle: "v\(index).test"))
                try await upstream.sendOperation(did, update)
                if index % 3 == 1 {
                    let recover = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
                    try await upstream.sendOperation(did, recover)
                } else if index % 3 == 2 {
                    try await upstream.sendOperation(did, try rotation.signedTombstone(prev: update.cid))
                }
            }
            let lines = try await upstream.store.export(after: nil, count: 1000).map {
                $0.entry.jsonValue.serializedString
            }
            #expect(lines.count == 6 * 2 + 4)

            let replicaStore = try PLCOperationStore(path: "\(dir)/b.sqlite")
            let replicator = try await PLCReplicator(
                store: replicaStore, upstream: PLCUpstreamExport(baseURL: "http://upstream.test"),
                logger: Logger(label: "test"))
            var cursor = PLCReplicaCursor(upstream: "http://upstream.test")
            let first = try await replicator.process(Array(lines.prefix(7)), cursor: cursor)
            try await replicaStore.commitReplicaPage(first.decisions, cursor: first.cursor, rejectedAt: Date())
            cursor = try #require(try await replicaStore.replicaCursor())
            #expect(cursor.position == 7 && cursor.accepted == 7)

            // A restart asks from one millisecond before the cursor: the overlap is skipped, not stored twice.
            let overlap = lines.filter { line in
                let createdAt = PLCReplicaValidation.parse(line, position: 0).createdAt ?? ""
                return createdAt >= cursor.createdAt!
            }
            #expect(overlap.count == lines.count - 6)
            let second = try await replicator.process(overlap, cursor: cursor)
            #expect(second.decisions.count == lines.count - 7)
            try await replicaStore.commitReplicaPage(second.decisions, cursor: second.cursor, rejectedAt: Date())
            #expect(try await replicaStore.replicaCursor()?.accepted == Int64(lines.count))
            #expect(try await replicaStore.operationCount() == lines.count)
            for did in dids {
                #expect(try await replicaStore.auditLog(did) == (try await upstream.store.auditLog(did)))
            }
            // The stored lines are the upstream's, byte for byte, in export order.
            #expect(try await replicaStore.exportLines(offset: 0, limit: 100).map(\.line) == lines)
            // The upstream's own operations are bundled as its `/export` lines.
            #expect(try await upstream.store.exportLines(offset: 0, limit: 100).map(\.line) == lines)
        }
    }

    /// A stream message is its `/export` record plus `type` and `seq`: the replica keeps the record as the line.
    @Test func streamMessagesCarryTheExportLine() {
        let record = #""cid":"bafyreib","createdAt":"2024-01-01T00:00:00.000Z","did":"did:plc:a","#
            + #""nullified":false,"operation":{"sig":"x"}"#
        let message = #"{"seq":42,"# + record + #","type":"sequenced_op"}"#
        let read = PLCUpstreamExport.streamRecord(message)
        #expect(read?.seq == 42)
        #expect(read?.line == "{" + record + "}")
        #expect(PLCUpstreamExport.streamRecord(#"{"did":"did:plc:a"}"#) == nil)
        #expect(PLCUpstreamExport.streamRecord(#"{"seq":"1"}"#) == nil)
        #expect(PLCUpstreamExport.streamRecord("not json") == nil)
    }

    static func summary(_ decisions: [PLCReplicaDecision]) -> [String] {
        decisions.map {
            switch $0.outcome {
            case .accepted: "accepted"
            case .duplicate: "duplicate"
            case .rejected: "rejected"
            }
        }
    }

    static func reason(_ decision: PLCReplicaDecision) -> String? {
        if case .rejected(let reason) = decision.outcome { return reason }
        return nil
    }
}
