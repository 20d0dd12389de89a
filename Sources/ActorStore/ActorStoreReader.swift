import ATCore
import ATCrypto
import GRDB

/// Read access to one actor inside a read transaction: a consistent snapshot, never blocked by the actor's writer.
///
/// Not `Sendable` (it wraps GRDB's `Database`): it exists only inside ``ActorStore/read(_:_:)``'s closure.
package struct ActorStoreReader {
    /// The actor.
    package let did: DID
    let db: Database
    let keys: ActorKeyCache

    init(did: DID, db: Database, keys: ActorKeyCache) {
        self.did = did
        self.db = db
        self.keys = keys
    }

    /// Repository blocks and root.
    package var repo: RepoReader { RepoReader(did: did, db: db) }
    /// The record index.
    package var record: RecordReader { RecordReader(db: db) }
    /// Blob metadata.
    package var blob: BlobReader { BlobReader(db: db) }
    /// Preferences.
    package var pref: PreferenceReader { PreferenceReader(db: db) }

    /// The actor's signing key (from the key cache, else its `key` file).
    package func keypair() throws -> Secp256k1Keypair { try keys.keypair(for: did) }
}
