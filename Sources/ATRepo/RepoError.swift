import ATCore

/// Errors from the repository layer (MST, commits, CAR import/export).
package enum RepoError: Error, Equatable, Sendable {
    /// A block the operation needs is not in storage.
    case missingBlock(CID)
    /// A commit object is malformed, has the wrong DID, or its signature does not verify.
    case invalidCommit(String)
    /// An MST node is malformed or the tree is not in canonical form.
    case invalidMST(String)
    /// An MST key is not a valid `collection/rkey` path.
    case invalidKey(String)
    /// A create targets a path that already holds a record.
    case recordExists(String)
    /// An update or delete targets a path that holds no record.
    case recordNotFound(String)
    /// A batch of writes touches the same path twice.
    case duplicateWrite(String)
    /// The repository has no commit yet.
    case emptyRepo
    /// A CAR file is malformed or does not hold a complete, valid repository.
    case invalidCAR(String)
    /// The repo's current commit is not the `swapCommit` the writer expected (the reference's
    /// `BadCommitSwapError`, XRPC `InvalidSwap`).
    case badCommitSwap(current: CID)
    /// A record's current CID (`nil`: no record) is not what the write's `swapRecord` expected (the reference's
    /// `BadRecordSwapError`, XRPC `InvalidSwap`).
    case badRecordSwap(current: CID?)
    /// A commit holds more writes than allowed.
    case tooManyWrites(max: Int)
    /// A commit's relevant blocks (its firehose event) exceed the size limit.
    case commitTooLarge(size: Int, max: Int)
}
