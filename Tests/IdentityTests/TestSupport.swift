import ATCore
import ATCrypto
import Foundation
import Synchronization
import TestFixtures

@testable import Identity

/// A temporary directory (as a path) removed after `body`.
func withTemporaryPath<T>(_ body: (String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory(prefix: "identity") { url in try await body(url.path) }
}

/// Builders for PLC test identities.
enum PLCFixture {
    static func state(rotation: [any Keypair], handle: String = "alice.test", pds: String = "https://pds.test")
        -> PLCState
    {
        PLCState.atproto(
            signingKey: Secp256k1Keypair().did, handle: try! Handle(handle), pdsEndpoint: pds,
            rotationKeys: rotation.map(\.did))
    }
}

extension Keypair {
    /// Opens the existential so generic signing APIs can be used with `any Keypair`.
    func signedGenesis(_ state: PLCState) throws -> (did: DID, operation: PLCOperation) {
        try PLCOperation.genesis(state: state, signer: self)
    }

    func signedUpdate(prev: CID, _ state: PLCState) throws -> PLCOperation {
        try PLCOperation.update(prev: prev, state: state, signer: self)
    }

    func signedTombstone(prev: CID) throws -> PLCOperation {
        try PLCOperation.tombstone(prev: prev, signer: self)
    }
}
