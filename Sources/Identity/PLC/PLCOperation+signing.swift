import ATCore
import ATCrypto

extension PLCOperation {
    /// Returns this operation signed by `signer`: a low-S compact signature over the DAG-CBOR of the operation
    /// without `sig`, in unpadded base64url.
    /// - Parameters:
    ///   - signer: a rotation key (the one that controls the DID at `prev`, or one of the genesis keys).
    package func signed(by signer: some Keypair) throws -> PLCOperation {
        var copy = self
        copy.sig = Base64.encodeURL(try signer.sign(DAGCBOR.encode(unsignedValue)))
        return copy
    }

    /// The position in `rotationKeys` of the first key whose signature this is.
    /// - Parameters:
    ///   - rotationKeys: candidate `did:key` strings, most authoritative first.
    /// - Returns: the index of the signer, or `nil` when unsigned or no key verifies (keys that do not parse are
    ///   skipped).
    package func signerIndex(among rotationKeys: [String]) -> Int? {
        guard let sig, let signature = try? Base64.decodeURL(sig, strict: true), signature.count == 64 else {
            return nil
        }
        let message = DAGCBOR.encode(unsignedValue)
        for (index, key) in rotationKeys.enumerated() {
            guard let verifier = try? parseDIDKey(key) else { continue }
            if verifier.verify(signature: signature, message: message) { return index }
        }
        return nil
    }

    /// Builds and signs a genesis operation.
    /// - Parameters:
    ///   - state: the initial state; `signer` should be one of its rotation keys.
    ///   - signer: the rotation key that signs.
    /// - Returns: the new DID and the signed operation, ready to POST to `<plc>/<did>`.
    package static func genesis(state: PLCState, signer: some Keypair) throws -> (did: DID, operation: PLCOperation) {
        let operation = try PLCOperation(kind: .update(state), prev: nil).signed(by: signer)
        return (operation.derivedDID, operation)
    }

    /// Builds and signs an update operation.
    /// - Parameters:
    ///   - prev: the CID of the operation being succeeded (the last one, or a fork point for a recovery).
    ///   - state: the complete new state.
    ///   - signer: a rotation key of the state at `prev`.
    package static func update(prev: CID, state: PLCState, signer: some Keypair) throws -> PLCOperation {
        try PLCOperation(kind: .update(state), prev: prev.description).signed(by: signer)
    }

    /// Builds and signs a tombstone.
    /// - Parameters:
    ///   - prev: the CID of the last operation.
    ///   - signer: a rotation key of the state at `prev`.
    package static func tombstone(prev: CID, signer: some Keypair) throws -> PLCOperation {
        try PLCOperation(kind: .tombstone, prev: prev.description).signed(by: signer)
    }
}
