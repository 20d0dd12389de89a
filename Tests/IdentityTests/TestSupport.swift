import ATCore
import ATCrypto
import Foundation
import Synchronization

@testable import Identity

/// A temporary directory removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A settable wall clock.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// The clock as the closure the stores take.
    var closure: @Sendable () -> Date { { self.now } }
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
