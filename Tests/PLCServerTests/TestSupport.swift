import ATCore
import ATCrypto
import Foundation
import Identity
import TestFixtures

/// A temporary directory (as a path) removed after `body`.
func withTemporaryPath<T>(_ body: (String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory(prefix: "plcserver") { url in try await body(url.path) }
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

    /// An `/export` line for an operation, as the directory writes it.
    static func line(_ did: DID, _ operation: PLCOperation, at date: Date, cid: String? = nil) -> String {
        var json = PLCLogEntry(did: did, operation: operation, cid: operation.cid, nullified: false, createdAt: date)
            .jsonValue
        if let cid, case .object(var members) = json {
            members["cid"] = .string(cid)
            json = .object(members)
        }
        return json.serializedString
    }
}

extension Keypair {
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
