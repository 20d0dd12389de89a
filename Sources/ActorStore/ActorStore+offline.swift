import ATCore
import ATCrypto
import Foundation
import GRDB

extension ActorStore {
    /// What an actor's store file holds, read without opening it as a live store (a file about to replace one).
    package struct StoreFileSummary: Sendable, Equatable {
        /// The DID the repo root row names, when the store has a repo.
        package var repoDID: String?
        /// The repo root commit's CID, when the store has a repo.
        package var rootCID: String?
        /// The repo root's rev, when the store has a repo.
        package var rootRev: String?
        /// The CIDs of its permanent blobs (those no longer waiting in temporary storage).
        package var blobs: Set<String>
    }

    /// Runs `body` with `did` offline: its requests wait (they are not refused) while `body` runs, no connection to
    /// its store is open and its signing key is not cached, so `body` may replace the actor's files (a live restore).
    /// When `body` returns or throws, the key cache forgets the actor again (a key read meanwhile may be the old
    /// one), the actor comes back online (its waiting requests reopen the store), and the change feed names it.
    ///
    /// Taking the actor offline waits for the reads and writes already running on it; keep `body` short, since every
    /// request for the actor waits for it.
    /// - Parameters:
    ///   - did: the actor.
    ///   - body: the work done while it is offline.
    /// - Returns: what `body` returns.
    package func withActorOffline<T: Sendable>(_ did: DID, _ body: () async throws -> T) async throws -> T {
        await handles.takeOffline(did)
        keys.remove(did)
        defer {
            keys.remove(did)
            handles.bringOnline(did)
            changes.notify(did)
        }
        return try await body()
    }

    /// Runs `body` in an `IMMEDIATE` write transaction on the store of `did` while it is offline (inside
    /// ``withActorOffline(_:_:)``'s body, after its files were replaced): on a connection of its own, closed before
    /// this returns, so the actor's waiting requests find the transaction's effects (and the commit callbacks run)
    /// when it comes back online.
    /// - Parameters:
    ///   - did: the actor, offline.
    ///   - body: synchronous work on the transactor.
    /// - Throws: `ActorStoreError.actorNotFound` when the actor has no store, or what `body` throws.
    package func transactOffline<T: Sendable>(
        _ did: DID, _ body: @escaping @Sendable (ActorStoreTransactor) throws -> T
    ) async throws -> T {
        precondition(handles.isOffline(did), "transactOffline needs the actor offline")
        let (location, sqlite, keys) = (location(of: did), configuration.sqlite, self.keys)
        return try await runBlocking {
            let handle = try ActorHandle.open(did: did, location: location, configuration: sqlite, create: false)
            defer { handle.close() }
            return try handle.pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(ActorStoreTransactor(did: did, db: db, keys: keys))
                    return .commit
                }
                return result!
            }
        }
    }

    /// Reads a store file that is not open in this store (read-only, on the blocking pool): its repo root and its
    /// permanent blobs. Throws when the file is not a readable actor store.
    /// - Parameters:
    ///   - url: the `store.sqlite` file.
    package static func summarizeStoreFile(at url: URL) async throws -> StoreFileSummary {
        try await runBlocking {
            var configuration = GRDB.Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: url.path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let root = try Row.fetchOne(db, sql: #"SELECT "did", "cid", "rev" FROM "repo_root" LIMIT 1"#)
                let blobs = try String.fetchAll(db, sql: #"SELECT "cid" FROM "blob" WHERE "tempKey" IS NULL"#)
                return StoreFileSummary(
                    repoDID: root?["did"], rootCID: root?["cid"], rootRev: root?["rev"], blobs: Set(blobs))
            }
        }
    }

    /// Reads a `key` file that is not this store's (a file about to replace one): the signing key it holds.
    /// - Parameters:
    ///   - url: the file.
    ///   - did: the actor it belongs to (named in the error).
    /// - Throws: ``ActorStoreError/invalidKeyFile(_:)`` when it is missing or not a secp256k1 private key.
    package static func readKeyFile(at url: URL, did: DID) async throws -> Secp256k1Keypair {
        try await runBlocking {
            guard let bytes = try KeyFile.read(url), let keypair = try? Secp256k1Keypair(privateKey: bytes) else {
                throw ActorStoreError.invalidKeyFile(did)
            }
            return keypair
        }
    }
}
