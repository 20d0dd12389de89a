import ATCore
import ATCrypto
import Foundation
import Identity
import TestFixtures

/// A temporary directory (as a path) removed after `body`.
/// - Parameters:
///   - prefix: the start of the directory's name.
///   - body: the test, given the path.
package func withTemporaryPath<T>(prefix: String = "pds-tests", _ body: (String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory(prefix: prefix) { url in try await body(url.path) }
}

/// Builders for PLC test identities.
package enum PLCFixture {
    /// An atproto identity's PLC state with a fresh signing key.
    /// - Parameters:
    ///   - rotation: the rotation keys, highest authority first.
    ///   - handle: the handle (`at://` alias).
    ///   - pds: the PDS endpoint.
    package static func state(rotation: [any Keypair], handle: String = "alice.test", pds: String = "https://pds.test")
        -> PLCState
    {
        PLCState.atproto(
            signingKey: Secp256k1Keypair().did, handle: try! Handle(handle), pdsEndpoint: pds,
            rotationKeys: rotation.map(\.did))
    }
}

extension Keypair {
    /// A genesis operation for `state` signed with this key (opens the existential, so the generic signing APIs can
    /// be used with `any Keypair`).
    package func signedGenesis(_ state: PLCState) throws -> (did: DID, operation: PLCOperation) {
        try PLCOperation.genesis(state: state, signer: self)
    }

    /// An update to `state` after `prev`, signed with this key.
    package func signedUpdate(prev: CID, _ state: PLCState) throws -> PLCOperation {
        try PLCOperation.update(prev: prev, state: state, signer: self)
    }

    /// A tombstone after `prev`, signed with this key.
    package func signedTombstone(prev: CID) throws -> PLCOperation {
        try PLCOperation.tombstone(prev: prev, signer: self)
    }
}
