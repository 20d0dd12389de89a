import ATCore
import ATCrypto
import Foundation
import Testing

@testable import Identity

/// Chain rules, driven through the pure validator with explicit timestamps.
@Suite struct PLCValidatorTests {
    let recovery = Secp256k1Keypair()  // index 0: highest priority
    let rotation = P256Keypair()  // index 1
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    /// A log being built: accepted entries, as the directory would store them.
    struct Log {
        let did: DID
        var entries: [PLCLogEntry]

        var current: [PLCLogEntry] { entries.filter { !$0.nullified } }

        mutating func submit(_ operation: PLCOperation, at date: Date) throws -> PLCValidator.Acceptance {
            let acceptance = try PLCValidator.assureValidNext(
                did: did, current: current, proposed: operation, now: date)
            for index in entries.indices where acceptance.nullified.contains(entries[index].cid) {
                entries[index].nullified = true
            }
            entries.append(
                PLCLogEntry(did: did, operation: operation, cid: operation.cid, nullified: false, createdAt: date))
            return acceptance
        }
    }

    func newLog() throws -> (Log, PLCOperation) {
        let (did, genesis) = try rotation.signedGenesis(PLCFixture.state(rotation: [recovery, rotation]))
        var log = Log(did: did, entries: [])
        _ = try log.submit(genesis, at: start)
        return (log, genesis)
    }

    // MARK: - Accepted

    @Test func validChainIsAccepted() throws {
        var (log, genesis) = try newLog()
        var state = try #require(genesis.state)
        state.setHandle(try Handle("bob.test"))
        let update1 = try rotation.signedUpdate(prev: genesis.cid, state)
        #expect(try log.submit(update1, at: start + 10).prev == genesis.cid)
        state.setPDSEndpoint("https://other.test")
        let update2 = try recovery.signedUpdate(prev: update1.cid, state)
        _ = try log.submit(update2, at: start + 20)
        let tombstone = try rotation.signedTombstone(prev: update2.cid)
        _ = try log.submit(tombstone, at: start + 30)
        #expect(log.current.count == 4)
        #expect(try PLCValidator.validateLog(did: log.did, operations: log.current.map(\.operation)) == nil)
        let beforeTombstone = log.current.dropLast().map(\.operation)
        #expect(try PLCValidator.validateLog(did: log.did, operations: Array(beforeTombstone)) == state)
    }

    @Test func recoveryWithinTheWindowNullifiesLaterOperations() throws {
        var (log, genesis) = try newLog()
        let hijack = try rotation.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [rotation]))
        _ = try log.submit(hijack, at: start + 60)
        let followUp = try rotation.signedUpdate(prev: hijack.cid, PLCFixture.state(rotation: [rotation]))
        _ = try log.submit(followUp, at: start + 120)
        let recoveryOperation = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
        let acceptance = try log.submit(recoveryOperation, at: start + 60 + 71 * 3600)
        #expect(acceptance.nullified == [hijack.cid, followUp.cid])
        #expect(log.current.map(\.cid) == [genesis.cid, recoveryOperation.cid])
        #expect(log.entries.filter(\.nullified).count == 2)
    }

    // MARK: - Rejected

    @Test func forgedSignatureIsRejected() throws {
        var (log, genesis) = try newLog()
        let attacker = Secp256k1Keypair()
        let forged = try attacker.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [attacker]))
        #expect(throws: PLCError.invalidSignature) { try log.submit(forged, at: start + 1) }
    }

    @Test func tamperedOperationFailsItsSignature() throws {
        var (log, genesis) = try newLog()
        var operation = try rotation.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery, rotation]))
        guard case .update(var state) = operation.kind else { Issue.record("not an update"); return }
        state.setPDSEndpoint("https://evil.test")
        operation.kind = .update(state)
        #expect(throws: PLCError.invalidSignature) { try log.submit(operation, at: start + 1) }
    }

    @Test func highSSignatureIsRejected() throws {
        var (log, genesis) = try newLog()
        var operation = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
        let sig = try #require(operation.sig)
        var signature = try Base64.decodeURL(sig, strict: true)
        // s' = n - s is the same signature in high-S form; it must not verify.
        let order: [UInt8] = Array(
            Hex.decodeUnchecked("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"))
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            let value = Int(order[i]) - Int(signature[32 + i]) - borrow
            signature[32 + i] = UInt8((value + 256) % 256)
            borrow = value < 0 ? 1 : 0
        }
        operation.sig = Base64.encodeURL(signature)
        #expect(throws: PLCError.invalidSignature) { try log.submit(operation, at: start + 1) }
    }

    @Test func wrongPrevIsRejected() throws {
        var (log, _) = try newLog()
        let unknown = CID.dagCBOR(hashing: Array("nothing".utf8))
        let operation = try rotation.signedUpdate(prev: unknown, PLCFixture.state(rotation: [rotation]))
        #expect {
            try log.submit(operation, at: start + 1)
        } throws: { error in
            guard case PLCError.misorderedOperation(let message) = error else { return false }
            return message.contains(unknown.description)
        }
    }

    @Test func missingPrevOnAnExistingDIDIsRejected() throws {
        var (log, _) = try newLog()
        let (_, another) = try rotation.signedGenesis(PLCFixture.state(rotation: [rotation]))
        #expect(throws: PLCError.misorderedOperation("prev is required once the DID exists")) {
            try log.submit(another, at: start + 1)
        }
    }

    @Test func genesisMustHashToTheDID() throws {
        let (_, genesis) = try rotation.signedGenesis(PLCFixture.state(rotation: [rotation]))
        let otherDID = try DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
        #expect(throws: PLCError.genesisHashMismatch(expected: otherDID.rawValue, derived: genesis.derivedDID.rawValue))
        {
            try PLCValidator.assureValidNext(did: otherDID, current: [], proposed: genesis, now: start)
        }
    }

    @Test func genesisMustBeSignedByItsOwnRotationKey() throws {
        let outsider = Secp256k1Keypair()
        let (did, genesis) = try outsider.signedGenesis(PLCFixture.state(rotation: [rotation]))
        #expect(throws: PLCError.invalidSignature) {
            try PLCValidator.assureValidNext(did: did, current: [], proposed: genesis, now: start)
        }
    }

    @Test func genesisMustNotBeATombstoneOrHaveAPrev() throws {
        let tombstone = try rotation.signedTombstone(prev: CID.dagCBOR(hashing: [1]))
        #expect(throws: PLCError.invalidGenesis("prev must be null")) {
            try PLCValidator.assureValidNext(did: tombstone.derivedDID, current: [], proposed: tombstone, now: start)
        }
    }

    @Test func lowerOrEqualPriorityKeyCannotFork() throws {
        var (log, genesis) = try newLog()
        // The recovery key (index 0) makes a change; the rotation key (index 1) cannot undo it by forking.
        let update = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery, rotation]))
        _ = try log.submit(update, at: start + 10)
        let fork = try rotation.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [rotation]))
        #expect {
            try log.submit(fork, at: start + 20)
        } throws: { error in
            guard case PLCError.misorderedOperation(let message) = error else { return false }
            return message.contains("higher priority")
        }
        // Nor can the same key fork over its own operation.
        let sameKeyFork = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
        #expect(throws: PLCError.self) { try log.submit(sameKeyFork, at: start + 20) }
        #expect(log.current.count == 2)
    }

    @Test func removedRotationKeyCannotSign() throws {
        var (log, genesis) = try newLog()
        let update = try rotation.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
        _ = try log.submit(update, at: start + 10)
        let next = try rotation.signedUpdate(prev: update.cid, PLCFixture.state(rotation: [rotation]))
        #expect(throws: PLCError.invalidSignature) { try log.submit(next, at: start + 20) }
    }

    @Test func recoveryAfter72HoursIsRejected() throws {
        var (log, genesis) = try newLog()
        let hijack = try rotation.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [rotation]))
        _ = try log.submit(hijack, at: start + 60)
        let late = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
        #expect {
            try log.submit(late, at: start + 60 + 72 * 3600 + 1)
        } throws: { error in
            guard case PLCError.lateRecovery(let elapsed) = error else { return false }
            return elapsed == (72 * 3600 + 1) * 1000
        }
    }

    @Test func nothingIsAcceptedAfterATombstone() throws {
        var (log, genesis) = try newLog()
        let tombstone = try rotation.signedTombstone(prev: genesis.cid)
        _ = try log.submit(tombstone, at: start + 10)
        let update = try rotation.signedUpdate(prev: tombstone.cid, PLCFixture.state(rotation: [rotation]))
        #expect(throws: PLCError.tombstoned) { try log.submit(update, at: start + 20) }
        // A higher-priority key can still undo the tombstone within the window, as the spec allows.
        let undo = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
        #expect(try log.submit(undo, at: start + 30).nullified == [tombstone.cid])
    }

    // MARK: - Limits

    @Test func incomingLimitsAreEnforced() throws {
        func check(_ change: (inout PLCState) -> Void) throws {
            var state = PLCFixture.state(rotation: [rotation])
            change(&state)
            let (_, genesis) = try rotation.signedGenesis(state)
            try PLCValidator.checkIncoming(genesis)
        }
        try check { _ in }
        #expect(throws: PLCError.constraintViolation("rotationKeys must have 1 to 5 entries")) {
            try check { $0.rotationKeys = [] }
        }
        #expect(throws: PLCError.constraintViolation("rotationKeys must have 1 to 5 entries")) {
            try check { $0.rotationKeys = (0..<6).map { _ in Secp256k1Keypair().did } }
        }
        #expect(throws: PLCError.constraintViolation("duplicate rotationKeys entry")) {
            try check { $0.rotationKeys = [rotation.did, rotation.did] }
        }
        #expect(throws: PLCError.constraintViolation("Invalid rotationKey: did:key:zNotAKey")) {
            try check { $0.rotationKeys.append("did:key:zNotAKey") }
        }
        #expect(throws: PLCError.constraintViolation("Too many alsoKnownAs entries (max 10)")) {
            try check { $0.alsoKnownAs = (0..<11).map { "at://h\($0).test" } }
        }
        #expect(throws: PLCError.constraintViolation("duplicate alsoKnownAs entry: at://a.test")) {
            try check { $0.alsoKnownAs = ["at://a.test", "at://a.test"] }
        }
        #expect(throws: PLCError.constraintViolation("Invalid verificationMethod key: zQ3s")) {
            try check { $0.verificationMethods["atproto"] = "zQ3s" }
        }
        #expect(throws: PLCError.constraintViolation("Service endpoint too long (max 512)")) {
            try check { $0.setPDSEndpoint("https://" + String(repeating: "a", count: 600)) }
        }
        #expect {
            try check { state in
                for index in 0..<10 {
                    state.services["s\(index)"] = PLCService(
                        type: "t", endpoint: "https://" + String(repeating: "x", count: 490))
                }
            }
        } throws: { error in
            guard case PLCError.operationTooLarge(_, let max) = error else { return false }
            return max == PLCValidator.maxIncomingOperationBytes
        }
    }
}

extension Hex {
    /// Test-only: decodes known-good hex.
    static func decodeUnchecked(_ string: String) -> [UInt8] { try! decode(string) }
}
