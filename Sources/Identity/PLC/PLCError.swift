/// Why a PLC operation, log or directory request was refused.
///
/// The embedded directory answers every case but `.notRegistered`/`.notAvailable` (404) and `.directory` with
/// a 400 whose message is the case's ``description``, as the reference directory does.
package enum PLCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON is not a well-formed operation (wrong type, missing or unexpected field, bad encoding).
    case malformedOperation(String)
    /// The operation's DAG-CBOR encoding exceeds the limit.
    case operationTooLarge(bytes: Int, max: Int)
    /// The operation breaks one of the directory's limits on incoming operations (counts, lengths, duplicates).
    case constraintViolation(String)
    /// No permitted rotation key produced the signature.
    case invalidSignature
    /// A genesis operation does not hash to the DID it was submitted for.
    case genesisHashMismatch(expected: String, derived: String)
    /// A genesis operation is not a creation (it has a `prev`, or is a tombstone).
    case invalidGenesis(String)
    /// The operation's `prev` is missing or is not a current (non-nullified) operation of the DID.
    case misorderedOperation(String)
    /// The DID has been tombstoned; no later operation is accepted.
    case tombstoned
    /// A fork that would nullify operations older than the recovery window.
    case lateRecovery(elapsedMilliseconds: Int64)
    /// A legacy `create` operation was submitted; only reading them is supported.
    case legacyOperationNotAccepted
    /// The DID has no operations.
    case notRegistered(String)
    /// The DID is tombstoned, so it has no document or data.
    case notAvailable(String)
    /// A PLC directory answered with an error.
    case directory(status: Int, message: String)

    package var description: String {
        switch self {
        case .malformedOperation(let why): "Invalid operation: \(why)"
        case .operationTooLarge(let bytes, let max):
            "Operation too large (\(bytes) bytes; \(max) bytes maximum in cbor encoding)"
        case .constraintViolation(let why): why
        case .invalidSignature: "Invalid signature on op"
        case .genesisHashMismatch(let expected, let derived):
            "Hash of genesis operation does not match DID identifier: expected \(expected), got \(derived)"
        case .invalidGenesis(let why): "Invalid genesis operation: \(why)"
        case .misorderedOperation(let why): "Operations not correctly ordered: \(why)"
        case .tombstoned: "DID is tombstoned; no further operations are accepted"
        case .lateRecovery(let elapsed):
            "Recovery operation occurred outside of the allowed 72 hr recovery window (\(elapsed / 3_600_000) hr elapsed)"
        case .legacyOperationNotAccepted: "Legacy 'create' operations are no longer accepted"
        case .notRegistered(let did): "DID not registered: \(did)"
        case .notAvailable(let did): "DID not available: \(did)"
        case .directory(let status, let message): "PLC directory error \(status): \(message)"
        }
    }
}
