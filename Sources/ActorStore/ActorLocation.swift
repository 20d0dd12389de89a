import ATCore
import Foundation

/// Where one account's files live: `<actors>/<first 2 hex of sha256(did)>/<did>/`.
///
/// The layout is the reference PDS's, so an existing data directory is used as it is. Only a validated `DID`
/// can name a location, and a DID can never contain `/` or be `.`/`..`, so a location never escapes the actors
/// directory.
package struct ActorLocation: Hashable, Sendable {
    /// The account's directory.
    package let directory: URL
    /// The shard directory holding it.
    package let shardDirectory: URL

    /// The location of `did` under `actorsDirectory`.
    package init(did: DID, actorsDirectory: URL) {
        precondition(did.isSafePathComponent, "a validated DID is always a safe path component")
        let digest = sha256(Array(did.rawValue.utf8))
        let shard = Hex.encode(digest.prefix(1))
        self.shardDirectory = actorsDirectory.appendingPathComponent(shard, isDirectory: true)
        self.directory = shardDirectory.appendingPathComponent(did.rawValue, isDirectory: true)
    }

    /// The SQLite store, `store.sqlite`.
    package var database: URL { directory.appendingPathComponent("store.sqlite") }
    /// The raw 32-byte secp256k1 signing key, `key`.
    package var key: URL { directory.appendingPathComponent("key") }
    /// A pending PLC operation (account migration), `did-op`.
    package var didOperation: URL { directory.appendingPathComponent("did-op") }
}
