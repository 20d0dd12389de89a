import ATCore
import ATCrypto
import GRDB

/// Write access to one actor inside an `IMMEDIATE` transaction; everything commits together when the closure returns.
///
/// Not `Sendable` (it wraps GRDB's `Database`): it exists only inside ``ActorStore/transact(_:_:)``'s closure, so no
/// `await` can happen while the transaction is open.
package struct ActorStoreTransactor {
    /// The actor.
    package let did: DID
    let db: Database
    let keys: ActorKeyCache

    init(did: DID, db: Database, keys: ActorKeyCache) {
        self.did = did
        self.db = db
        self.keys = keys
    }

    /// Repository writes (`createRepo`, `processWrites`) and, through its `reader`, reads.
    package var repo: RepoTransactor { RepoTransactor(did: did, db: db, keys: keys) }
    /// Repository reads (root, blocks since a revision, CAR export, proofs) over this transaction.
    package var repoReader: RepoReader { RepoReader(did: did, db: db) }
    /// Block storage and root for ATRepo's commit logic, writing in this transaction.
    package var storage: SQLRepoStorage { SQLRepoStorage(did: did, db: db) }
    /// The record index, for reads.
    package var recordReader: RecordReader { RecordReader(db: db) }
    /// The record index, for writes.
    package var record: RecordTransactor { RecordTransactor(db: db) }
    /// Blob metadata, for reads.
    package var blobReader: BlobReader { BlobReader(db: db) }
    /// Blob metadata, for writes.
    package var blob: BlobTransactor { BlobTransactor(db: db) }
    /// Preferences, for reads.
    package var prefReader: PreferenceReader { PreferenceReader(db: db) }
    /// Preferences, for writes.
    package var pref: PreferenceTransactor { PreferenceTransactor(db: db) }

    /// Runs `body` right after this transaction commits, still on the actor's writer queue: no other write to the
    /// actor can start before it returns. Not run when the transaction rolls back. This is where a commit's firehose
    /// event is sequenced (the write protocol in `Sequencer`'s documentation).
    /// - Parameters:
    ///   - body: synchronous work; it must not touch this actor's database.
    package func afterCommit(_ body: @escaping @Sendable () -> Void) {
        db.afterNextTransaction(onCommit: { _ in body() })
    }

    /// The actor's signing key (from the key cache, else its `key` file).
    package func keypair() throws -> Secp256k1Keypair { try keys.keypair(for: did) }
}
