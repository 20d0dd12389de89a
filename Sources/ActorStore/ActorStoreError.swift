import ATCore

/// Errors from the per-actor store.
package enum ActorStoreError: Error, Equatable, Sendable {
    /// No store exists for the DID (the reference's 400 `NotFound 'Repo not found'`).
    case actorNotFound(DID)
    /// `create` found a store already there.
    case actorAlreadyExists(DID)
    /// `createRepo` found a commit already there.
    case repoAlreadyExists(DID)
    /// The actor's `key` file is missing or is not a 32-byte secp256k1 private key.
    case invalidKeyFile(DID)
    /// The store was closed with ``ActorStore/close()``.
    case storeClosed
    /// A stored row could not be read back (a malformed CID, URI or TID in the database).
    case corruptRow(table: String, column: String, value: String)
    /// A preference lacks a string `$type`.
    case preferenceMissingType
    /// A preference is outside the namespace being written.
    case preferenceNotInNamespace(String)
    /// A preference that only a full-access session may write.
    case preferenceRequiresFullAccess(String)
    /// An indexed record URI must name a DID, a collection and a record key.
    case invalidRecordURI(String)
}
