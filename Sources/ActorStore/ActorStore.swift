import ATCore
import ATCrypto
import Foundation
import GRDB
import SQLiteSupport

/// The per-account stores: one WAL SQLite file per DID under a sharded directory tree, with an LRU of open handles
/// and one of signing keys.
///
/// Work on an actor goes through ``read(_:_:)`` and ``transact(_:_:)`` with synchronous closures, as in GRDB: readers
/// run concurrently with the actor's single writer, and writers to different actors run in parallel.
package final class ActorStore: Sendable {
    /// Settings for the store.
    package struct Configuration: Sendable {
        /// The actors directory (reference `PDS_ACTOR_STORE_DIRECTORY`, default `<data>/actors`).
        package var actorsDirectory: URL
        /// The number of open handles kept in the LRU.
        package var handleCacheSize: Int
        /// The number of decoded signing keys kept in the LRU.
        package var keyCacheSize: Int
        /// SQLite settings for every actor file.
        package var sqlite: SQLiteConfiguration

        /// A configuration.
        /// - Parameters:
        ///   - actorsDirectory: the actors directory.
        ///   - handleCacheSize: open handles kept; `nil` raises the process's `RLIMIT_NOFILE` soft limit to its hard
        ///     limit (the start-up step the server needs anyway) and sizes the cache to fit it.
        ///   - keyCacheSize: signing keys kept.
        ///   - sqlite: SQLite settings.
        package init(
            actorsDirectory: URL,
            handleCacheSize: Int? = nil,
            keyCacheSize: Int = 10_000,
            sqlite: SQLiteConfiguration = SQLiteConfiguration()
        ) {
            self.actorsDirectory = actorsDirectory
            self.sqlite = sqlite
            self.keyCacheSize = max(1, keyCacheSize)
            if let handleCacheSize {
                self.handleCacheSize = max(1, handleCacheSize)
            } else {
                let limit = FileDescriptorLimit.raise()
                self.handleCacheSize = Self.handleCacheSize(fileDescriptorLimit: Int(limit), sqlite: sqlite)
            }
        }

        /// The number of handles whose worst-case descriptors (writer plus every reader) fit in `limit` after
        /// keeping `reserved` descriptors for everything else (sockets, service databases, blobs).
        /// - Parameters:
        ///   - fileDescriptorLimit: the process's soft `RLIMIT_NOFILE`.
        ///   - reserved: descriptors kept for the rest of the server.
        ///   - sqlite: the SQLite settings (reader count).
        package static func handleCacheSize(
            fileDescriptorLimit: Int,
            reserved: Int = 512,
            sqlite: SQLiteConfiguration
        ) -> Int {
            max(1, (fileDescriptorLimit - reserved) / sqlite.fileDescriptorsPerPool)
        }
    }

    /// The root of the sharded tree; the only way to turn a DID into a path.
    package struct Directory: Sendable {
        /// The actors directory.
        package let url: URL
        /// The reserved-keys directory, `<actors>/reserved_keys`.
        package var reservedKeys: URL { url.appendingPathComponent("reserved_keys", isDirectory: true) }
        /// The location of `did` (a validated DID can not escape the directory).
        /// - Parameters:
        ///   - did: the actor.
        package func location(of did: DID) -> ActorLocation { ActorLocation(did: did, actorsDirectory: url) }
    }

    /// The settings in use.
    package let configuration: Configuration
    /// The actors directory.
    package let directory: Directory
    let handles: ActorHandleCache
    let keys: ActorKeyCache
    /// Reports every actor whose files changed (commits, creation, destruction), for the continuous backup.
    package let changes = ActorChangeFeed()

    /// A store over `configuration.actorsDirectory` (created if missing).
    /// - Parameters:
    ///   - configuration: the settings.
    package init(configuration: Configuration) throws {
        self.configuration = configuration
        let directory = Directory(url: configuration.actorsDirectory)
        self.directory = directory
        try FileManager.default.createDirectory(at: directory.url, withIntermediateDirectories: true)
        let sqlite = configuration.sqlite
        self.handles = ActorHandleCache(capacity: configuration.handleCacheSize) { did, create in
            try ActorHandle.open(did: did, location: directory.location(of: did), configuration: sqlite, create: create)
        }
        self.keys = ActorKeyCache(capacity: configuration.keyCacheSize, actorsDirectory: directory)
    }

    /// The location of `did`'s files.
    /// - Parameters:
    ///   - did: the actor.
    package func location(of did: DID) -> ActorLocation { directory.location(of: did) }

    // MARK: - Reader / transactor

    /// Runs `body` in a read transaction (a consistent snapshot) on the actor's store.
    ///
    /// Readers run concurrently with each other (up to the configured reader count) and with the actor's writer.
    /// - Note: `body` is synchronous, so no `await` can happen inside the transaction. It is `@escaping` only because
    ///   it is handed to the pool's reader queue with GRDB's callback API (`asyncRead`): one queue hop each way, about
    ///   twice the throughput of GRDB's `async` `read` (which hops through two actor executors), and no thread blocked
    ///   while waiting for a reader.
    /// - Parameters:
    ///   - did: the actor.
    ///   - body: synchronous work on the reader.
    /// - Throws: `ActorStoreError.actorNotFound` when the actor has no store, or what `body` throws.
    package func read<T: Sendable>(
        _ did: DID,
        _ body: @escaping @Sendable (ActorStoreReader) throws -> T
    ) async throws -> T {
        let keys = self.keys
        return try await handles.withHandle(did) { handle in
            try Task.checkCancellation()
            return try await withCheckedThrowingContinuation { continuation in
                handle.pool.asyncRead { database in
                    continuation.resume(
                        with: Result { try body(ActorStoreReader(did: did, db: database.get(), keys: keys)) }
                    )
                }
            }
        }
    }

    /// Runs `body` in an `IMMEDIATE` write transaction on the actor's store; it commits when `body` returns and rolls
    /// back when it throws.
    ///
    /// There is one writer per actor at a time (requests queue on the pool's writer queue without blocking a thread);
    /// writers to different actors run in parallel.
    /// - Parameters:
    ///   - did: the actor.
    ///   - body: synchronous work on the transactor (`@escaping` for the same reason as in ``read(_:_:)``).
    /// - Throws: `ActorStoreError.actorNotFound` when the actor has no store, or what `body` throws.
    package func transact<T: Sendable>(
        _ did: DID,
        _ body: @escaping @Sendable (ActorStoreTransactor) throws -> T
    ) async throws -> T {
        try await transact(did, body, committed: { $0 })
    }

    /// Runs `body` in an `IMMEDIATE` write transaction on the actor's store, then — once it has committed, and before
    /// any other write to the actor can start — `committed` with its result.
    ///
    /// `committed` is where the write path queues a commit's firehose event, so one actor's events are queued in commit
    /// order; it must not touch the actor's database and should not block.
    /// - Parameters:
    ///   - did: the actor.
    ///   - body: synchronous work on the transactor.
    ///   - committed: synchronous work after the commit, still in the actor's critical section.
    /// - Returns: what `committed` returns.
    /// - Throws: `ActorStoreError.actorNotFound` when the actor has no store, or what `body` throws (then `committed`
    ///   does not run).
    package func transact<T, U: Sendable>(
        _ did: DID,
        _ body: @escaping @Sendable (ActorStoreTransactor) throws -> T,
        committed: @escaping @Sendable (T) -> U
    ) async throws -> U {
        let (keys, changes) = (self.keys, self.changes)
        return try await handles.withHandle(did) { handle in
            try Task.checkCancellation()
            return try await withCheckedThrowingContinuation { continuation in
                handle.pool.asyncWriteWithoutTransaction { db in
                    continuation.resume(
                        with: Result {
                            var result: T?
                            try db.inTransaction(.immediate) {
                                result = try body(ActorStoreTransactor(did: did, db: db, keys: keys))
                                return .commit
                            }
                            changes.notify(did)
                            return committed(result!)
                        }
                    )
                }
            }
        }
    }

    /// The actor's signing key, from the key cache or its `key` file.
    /// - Parameters:
    ///   - did: the actor.
    package func keypair(_ did: DID) async throws -> Secp256k1Keypair {
        let keys = self.keys
        return try await runBlocking { try keys.keypair(for: did) }
    }

    /// Closes every open handle (waiting for running readers and transactors) and refuses further work.
    package func close() async {
        await handles.closeAll(permanently: true)
    }

    /// Closes every open handle, waiting for running readers and transactors; the store stays usable and reopens
    /// handles on demand.
    package func closeAllHandles() async {
        await handles.closeAll(permanently: false)
    }
}
