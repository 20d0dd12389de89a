import ATCore
import ATCrypto

/// Reads and writes did:plc identities in a PLC directory.
///
/// Implementations: ``HTTPPLCClient`` (any directory over HTTP, `PDS_DID_PLC_URL`) and the embedded directory
/// (`PLCServer.EmbeddedPLCDirectory`), which a dev-mode server can call in-process.
package protocol PLCClient: Sendable {
    /// The DID document (`GET /:did`).
    /// - Parameters:
    ///   - did: the DID.
    /// - Throws: `PLCError.notRegistered`, `.notAvailable` (tombstoned), `.directory`.
    func getDocument(_ did: DID) async throws -> DIDDocument

    /// The current PLC state (`GET /:did/data`).
    /// - Parameters:
    ///   - did: the DID.
    func getDocumentData(_ did: DID) async throws -> PLCState

    /// The current (non-nullified) operations, oldest first (`GET /:did/log`).
    /// - Parameters:
    ///   - did: the DID.
    func getOperationLog(_ did: DID) async throws -> [PLCOperation]

    /// Every operation including nullified ones, with CIDs and timestamps (`GET /:did/log/audit`).
    /// - Parameters:
    ///   - did: the DID.
    func getAuditLog(_ did: DID) async throws -> [PLCLogEntry]

    /// The latest current operation (`GET /:did/log/last`).
    /// - Parameters:
    ///   - did: the DID.
    func getLastOperation(_ did: DID) async throws -> PLCOperation

    /// Submits a signed operation (`POST /:did`).
    /// - Parameters:
    ///   - did: the DID (for a genesis operation, the DID it derives).
    ///   - operation: the signed operation.
    /// - Throws: `PLCError` with the directory's reason when it is refused.
    func sendOperation(_ did: DID, _ operation: PLCOperation) async throws
}

extension PLCClient {
    /// Creates a DID: signs a genesis operation with `signer` and submits it.
    /// - Parameters:
    ///   - state: the initial state (`PLCState.atproto(...)`); `signer` must be one of its rotation keys.
    ///   - signer: the rotation key that signs.
    /// - Returns: the new DID and the submitted operation.
    package func createDID(state: PLCState, signer: some Keypair) async throws -> (did: DID, operation: PLCOperation) {
        let (did, operation) = try PLCOperation.genesis(state: state, signer: signer)
        try await sendOperation(did, operation)
        return (did, operation)
    }

    /// Builds an update on top of the latest operation: fetches `/log/last`, applies `change` to its state,
    /// signs with `signer` (a current rotation key) and submits.
    /// - Parameters:
    ///   - did: the DID.
    ///   - signer: a current rotation key.
    ///   - change: the edit to the state.
    /// - Returns: the submitted operation.
    @discardableResult
    package func updateState(
        _ did: DID, signer: some Keypair, _ change: (inout PLCState) throws -> Void
    ) async throws -> PLCOperation {
        let last = try await getLastOperation(did)
        guard var state = last.state else { throw PLCError.tombstoned }
        try change(&state)
        let operation = try PLCOperation.update(prev: last.cid, state: state, signer: signer)
        try await sendOperation(did, operation)
        return operation
    }

    /// Replaces the handle (the first `at://` alias), as `updateHandle` does.
    /// - Parameters:
    ///   - did: the DID.
    ///   - handle: the new handle.
    ///   - signer: a current rotation key (the PDS's).
    @discardableResult
    package func updateHandle(_ did: DID, handle: Handle, signer: some Keypair) async throws -> PLCOperation {
        try await updateState(did, signer: signer) { $0.setHandle(handle) }
    }

    /// Replaces the `atproto` signing key.
    /// - Parameters:
    ///   - did: the DID.
    ///   - signingKey: the new key as `did:key`.
    ///   - signer: a current rotation key.
    @discardableResult
    package func updateAtprotoKey(_ did: DID, signingKey: String, signer: some Keypair) async throws -> PLCOperation {
        try await updateState(did, signer: signer) { $0.verificationMethods["atproto"] = signingKey }
    }

    /// Replaces the PDS endpoint.
    /// - Parameters:
    ///   - did: the DID.
    ///   - endpoint: the new PDS URL.
    ///   - signer: a current rotation key.
    @discardableResult
    package func updatePDSEndpoint(_ did: DID, endpoint: String, signer: some Keypair) async throws -> PLCOperation {
        try await updateState(did, signer: signer) { $0.setPDSEndpoint(endpoint) }
    }

    /// Tombstones the DID (as createAccount's rollback does).
    /// - Parameters:
    ///   - did: the DID.
    ///   - signer: a current rotation key.
    @discardableResult
    package func tombstone(_ did: DID, signer: some Keypair) async throws -> PLCOperation {
        let last = try await getLastOperation(did)
        let operation = try PLCOperation.tombstone(prev: last.cid, signer: signer)
        try await sendOperation(did, operation)
        return operation
    }
}
