import ATCore
import ATCrypto
import Foundation

/// The rules a PLC directory applies to operations, shared by the embedded directory and by clients that audit a
/// log they fetched.
///
/// There are two layers, as in the reference directory: *hard* rules that every stored operation satisfies
/// (structure, size, signatures, the prev chain, the recovery window), and *soft* limits applied only to newly
/// submitted operations (counts, lengths, duplicates).
package enum PLCValidator {
    /// The spec's maximum DAG-CBOR size of any operation.
    package static let maxOperationBytes = 7500
    /// The reference directory's limit for newly submitted operations.
    package static let maxIncomingOperationBytes = 4000
    /// How long after an operation a more authoritative rotation key can still nullify it.
    package static let recoveryWindow: TimeInterval = 72 * 3600

    /// The soft limits, as the reference directory's `constraints.ts`.
    static let maxAlsoKnownAs = 10
    static let maxAlsoKnownAsLength = 258
    static let maxRotationKeys = 5
    static let maxServices = 10
    static let maxServiceTypeLength = 256
    static let maxServiceEndpointLength = 512
    static let maxVerificationMethods = 10
    static let maxIDLength = 32
    static let maxDIDKeyLength = 256

    /// The outcome of accepting an operation.
    package struct Acceptance: Sendable, Equatable {
        /// The CIDs of the operations the new one nullifies (empty unless it forks history).
        package var nullified: [CID]
        /// The CID the operation builds on, `nil` for genesis.
        package var prev: CID?
    }

    // MARK: - Single operations

    /// Checks the limits on a newly submitted operation (soft and hard), before any chain logic.
    /// - Parameters:
    ///   - operation: the submitted operation.
    /// - Throws: `PLCError.operationTooLarge`, `.constraintViolation`, `.legacyOperationNotAccepted`.
    package static func checkIncoming(_ operation: PLCOperation) throws(PLCError) {
        let size = operation.cborBytes.count
        guard size <= maxIncomingOperationBytes else {
            throw .operationTooLarge(bytes: size, max: maxIncomingOperationBytes)
        }
        switch operation.kind {
        case .tombstone: return
        case .legacyCreate: throw .legacyOperationNotAccepted
        case .update(let state): try checkLimits(state)
        }
    }

    private static func checkLimits(_ state: PLCState) throws(PLCError) {
        guard state.alsoKnownAs.count <= maxAlsoKnownAs else {
            throw .constraintViolation("Too many alsoKnownAs entries (max \(maxAlsoKnownAs))")
        }
        var seen = Set<String>()
        for aka in state.alsoKnownAs {
            guard aka.utf8.count <= maxAlsoKnownAsLength else {
                throw .constraintViolation("alsoKnownAs entry too long (max \(maxAlsoKnownAsLength)): \(aka)")
            }
            guard seen.insert(aka).inserted else { throw .constraintViolation("duplicate alsoKnownAs entry: \(aka)") }
        }
        guard (1...maxRotationKeys).contains(state.rotationKeys.count) else {
            throw .constraintViolation("rotationKeys must have 1 to \(maxRotationKeys) entries")
        }
        guard Set(state.rotationKeys).count == state.rotationKeys.count else {
            throw .constraintViolation("duplicate rotationKeys entry")
        }
        for key in state.rotationKeys {
            guard (try? parseDIDKey(key)) != nil else { throw .constraintViolation("Invalid rotationKey: \(key)") }
        }
        guard state.services.count <= maxServices else {
            throw .constraintViolation("Too many service entries (max \(maxServices))")
        }
        for (id, service) in state.services {
            guard id.utf8.count <= maxIDLength else {
                throw .constraintViolation("Service id too long (max \(maxIDLength)): \(id)")
            }
            guard service.type.utf8.count <= maxServiceTypeLength else {
                throw .constraintViolation("Service type too long (max \(maxServiceTypeLength))")
            }
            guard service.endpoint.utf8.count <= maxServiceEndpointLength else {
                throw .constraintViolation("Service endpoint too long (max \(maxServiceEndpointLength))")
            }
        }
        guard state.verificationMethods.count <= maxVerificationMethods else {
            throw .constraintViolation("Too many Verification Method entries (max \(maxVerificationMethods))")
        }
        for (id, key) in state.verificationMethods {
            guard id.utf8.count <= maxIDLength else {
                throw .constraintViolation("Verification Method id too long (max \(maxIDLength)): \(id)")
            }
            guard key.utf8.count <= maxDIDKeyLength else {
                throw .constraintViolation("Verification Method key too long (max \(maxDIDKeyLength)): \(key)")
            }
            guard isSyntacticDIDKey(key) else { throw .constraintViolation("Invalid verificationMethod key: \(key)") }
        }
    }

    /// `did:key:z` followed by valid base58btc; any key type (the spec allows non-atproto curves here).
    private static func isSyntacticDIDKey(_ key: String) -> Bool {
        guard key.hasPrefix("did:key:z") else { return false }
        return (try? Multibase.base58Decode(key.dropFirst("did:key:z".count))) != nil
    }

    /// The hard rules for any operation: size, and a signature by one of `rotationKeys`.
    /// - Returns: the index of the signing key.
    private static func assureSigned(_ operation: PLCOperation, by rotationKeys: [String]) throws(PLCError) -> Int {
        let size = operation.cborBytes.count
        guard size <= maxOperationBytes else { throw .operationTooLarge(bytes: size, max: maxOperationBytes) }
        guard let index = operation.signerIndex(among: rotationKeys) else { throw .invalidSignature }
        return index
    }

    // MARK: - Chain

    /// Checks a genesis operation: a creation (not a tombstone, `prev` null) whose hash is the DID and which is
    /// signed by one of its own rotation keys.
    /// - Parameters:
    ///   - did: the DID it is submitted for.
    ///   - operation: the first operation.
    package static func assureValidGenesis(did: DID, _ operation: PLCOperation) throws(PLCError) {
        guard operation.prev == nil else { throw .invalidGenesis("prev must be null") }
        guard let state = operation.state else { throw .invalidGenesis("a tombstone cannot create a DID") }
        _ = try assureSigned(operation, by: state.rotationKeys)
        let derived = operation.derivedDID
        guard derived == did else { throw .genesisHashMismatch(expected: did.rawValue, derived: derived.rawValue) }
    }

    /// Decides whether `proposed` may be appended to a DID's history, as the reference directory does.
    ///
    /// - The first operation must be a valid genesis.
    /// - Otherwise `prev` must be the CID of a current operation, which must not be a tombstone, and `proposed`
    ///   must be signed by one of that operation's rotation keys.
    /// - If `prev` is not the latest operation, `proposed` forks history and nullifies every later operation.
    ///   That is allowed only when it is signed by a key of strictly higher priority (lower index) than the key
    ///   that signed the first operation it nullifies, and no later than 72 hours after that operation.
    /// - Parameters:
    ///   - did: the DID.
    ///   - current: the DID's non-nullified operations, oldest first.
    ///   - proposed: the new operation.
    ///   - now: the time of acceptance.
    /// - Returns: what is nullified and the `prev` CID.
    package static func assureValidNext(
        did: DID, current: [PLCLogEntry], proposed: PLCOperation, now: Date
    ) throws(PLCError) -> Acceptance {
        if current.isEmpty {
            try assureValidGenesis(did: did, proposed)
            return Acceptance(nullified: [], prev: nil)
        }
        guard let rawPrev = proposed.prev, let prev = try? CID(rawPrev) else {
            throw .misorderedOperation("prev is required once the DID exists")
        }
        guard let prevIndex = current.firstIndex(where: { $0.cid == prev }) else {
            throw .misorderedOperation("prev \(rawPrev) is not a current operation of \(did)")
        }
        let base = current[prevIndex]
        guard let baseState = base.operation.state else { throw .tombstoned }
        let nullified = current[(prevIndex + 1)...]
        guard let firstNullified = nullified.first else {
            _ = try assureSigned(proposed, by: baseState.rotationKeys)
            return Acceptance(nullified: [], prev: prev)
        }
        // A fork: the key that signed the first disputed operation bounds who may override it.
        guard let disputedSigner = firstNullified.operation.signerIndex(among: baseState.rotationKeys) else {
            throw .invalidSignature
        }
        let morePowerful = Array(baseState.rotationKeys.prefix(disputedSigner))
        do {
            _ = try assureSigned(proposed, by: morePowerful)
        } catch .invalidSignature {
            if proposed.signerIndex(among: baseState.rotationKeys) != nil {
                throw .misorderedOperation(
                    "prev \(rawPrev) is not the latest operation, and the signing key does not have a higher "
                        + "priority than the key that signed the operations it would nullify")
            }
            throw .invalidSignature
        }
        let elapsed = now.timeIntervalSince(firstNullified.createdAt)
        guard elapsed <= recoveryWindow else { throw .lateRecovery(elapsedMilliseconds: Int64(elapsed * 1000)) }
        return Acceptance(nullified: nullified.map(\.cid), prev: prev)
    }

    /// Verifies a DID's current log (as served at `/:did/log`) from genesis and returns the resulting state.
    ///
    /// Each operation must be signed by a rotation key of its predecessor and point at it by CID; the genesis
    /// operation (legacy `create` included) must hash to the DID.
    /// - Parameters:
    ///   - did: the DID.
    ///   - operations: the non-nullified operations, oldest first.
    /// - Returns: the final state, or `nil` when the DID is tombstoned.
    package static func validateLog(did: DID, operations: [PLCOperation]) throws(PLCError) -> PLCState? {
        guard let genesis = operations.first else { throw .notRegistered(did.rawValue) }
        try assureValidGenesis(did: did, genesis)
        var state = genesis.state
        var previousCID = genesis.cid
        for operation in operations.dropFirst() {
            guard let current = state else { throw .tombstoned }
            guard let rawPrev = operation.prev, (try? CID(rawPrev)) == previousCID else {
                throw .misorderedOperation("prev does not point at the preceding operation")
            }
            if case .legacyCreate = operation.kind { throw .misorderedOperation("legacy create after genesis") }
            _ = try assureSigned(operation, by: current.rotationKeys)
            state = operation.state
            previousCID = operation.cid
        }
        return state
    }
}
