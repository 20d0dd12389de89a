import ATCore
import ATCrypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ActorStore {
    // MARK: - Create / destroy

    /// Whether `did` has a store.
    /// - Parameters:
    ///   - did: the actor.
    package func exists(_ did: DID) async -> Bool {
        let path = location(of: did).database.path
        return (try? await runBlocking { FileManager.default.fileExists(atPath: path) }) ?? false
    }

    /// Creates the store of `did`: its directory, the `key` file (`0600`, atomic) and a migrated WAL database, which
    /// stays open in the handle cache.
    /// - Parameters:
    ///   - did: the new actor.
    ///   - keypair: its signing key.
    /// - Throws: `ActorStoreError.actorAlreadyExists` when a store is already there.
    package func create(_ did: DID, keypair: Secp256k1Keypair) async throws {
        let location = location(of: did)
        try await runBlocking {
            try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
            // Claim the database path atomically, so two concurrent creates can not both succeed.
            let fd = open(location.database.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                if errno == EEXIST { throw ActorStoreError.actorAlreadyExists(did) }
                throw KeyFile.SystemError(call: "open", code: errno)
            }
            _ = posixClose(fd)
            do {
                try KeyFile.write(keypair.exportPrivateKey(), to: location.key)
            } catch {
                try? KeyFile.remove(location.database)
                throw error
            }
        }
        keys.insert(keypair, for: did)
        do {
            try await handles.withHandle(did, create: true) { _ in }
        } catch {
            await handles.evict(did)
            try? await runBlocking { try FileManager.default.removeItem(at: location.directory) }
            keys.remove(did)
            throw error
        }
        changes.notify(did)
    }

    /// Removes the actor: closes its handle (waiting for running work), forgets its key, and deletes its directory.
    /// Its blobs are not here: the caller deletes them from the blobstore (`AccountProvisioner.destroyActor`).
    /// - Parameters:
    ///   - did: the actor.
    package func destroy(_ did: DID) async throws {
        await handles.evict(did)
        keys.remove(did)
        let directory = location(of: did).directory
        try await runBlocking {
            if FileManager.default.fileExists(atPath: directory.path) {
                try FileManager.default.removeItem(at: directory)
            }
        }
        changes.notify(did)
    }

    // MARK: - Reserved keys

    /// Generates a signing key and keeps it under `reserved_keys/` until an account claims it (the reference's
    /// `reserveSigningKey`).
    /// - Parameters:
    ///   - did: the DID it is reserved for, or `nil` to file it under its own `did:key`.
    /// - Returns: The name it is filed under: `did`, or the key's `did:key`.
    package func reserveKeypair(for did: DID? = nil) async throws -> DID {
        let keypair = Secp256k1Keypair()
        let name = try did ?? DID(keypair.did)
        let directory = self.directory
        try await runBlocking {
            try FileManager.default.createDirectory(at: directory.reservedKeys, withIntermediateDirectories: true)
            try KeyFile.write(keypair.exportPrivateKey(), to: directory.reservedKey(name))
        }
        return name
    }

    /// The reserved key filed under `name` (a DID or a `did:key`), if any.
    /// - Parameters:
    ///   - name: the DID or `did:key` it was reserved under.
    package func reservedKeypair(_ name: DID) async throws -> Secp256k1Keypair? {
        let url = directory.reservedKey(name)
        guard let bytes = try await runBlocking({ try KeyFile.read(url) }) else { return nil }
        return try Secp256k1Keypair(privateKey: bytes)
    }

    /// Deletes a reserved key, under its `did:key` and, when given, under the DID it was reserved for.
    /// - Parameters:
    ///   - keyDID: the key's `did:key`.
    ///   - did: the DID it was reserved for.
    package func clearReservedKeypair(_ keyDID: DID, did: DID? = nil) async throws {
        let urls = [keyDID, did].compactMap { $0 }.map { directory.reservedKey($0) }
        try await runBlocking { for url in urls { try KeyFile.remove(url) } }
    }

    // MARK: - Pending PLC operation

    /// Stores a pending PLC operation (DAG-CBOR bytes) in the actor's `did-op` file.
    /// - Parameters:
    ///   - did: the actor.
    ///   - operation: the encoded operation.
    package func storePLCOperation(_ did: DID, _ operation: [UInt8]) async throws {
        let url = location(of: did).didOperation
        try await runBlocking { try KeyFile.write(operation, to: url) }
    }

    /// The actor's pending PLC operation, if any.
    /// - Parameters:
    ///   - did: the actor.
    package func plcOperation(_ did: DID) async throws -> [UInt8]? {
        let url = location(of: did).didOperation
        return try await runBlocking { try KeyFile.read(url) }
    }

    /// Removes the actor's pending PLC operation.
    /// - Parameters:
    ///   - did: the actor.
    package func clearPLCOperation(_ did: DID) async throws {
        let url = location(of: did).didOperation
        try await runBlocking { try KeyFile.remove(url) }
    }
}

extension ActorStore.Directory {
    /// `<actors>/reserved_keys/<name>`; `name` is a validated DID, so it is a single safe path component.
    func reservedKey(_ name: DID) -> URL {
        precondition(name.isSafePathComponent, "a validated DID is always a safe path component")
        return reservedKeys.appendingPathComponent(name.rawValue)
    }
}
