import ATCore
import ATRepo
import GRDB

extension Sequencer {
    // MARK: - Event groups (reference-pds.md §e.1)

    /// Sequences a repo commit as `#commit`.
    /// - Parameters:
    ///   - did: the repo DID.
    ///   - commit: the applied commit.
    ///   - attempts: tries for database failures (see ``sequence(_:attempts:)``).
    /// - Returns: the seq.
    @discardableResult
    package func sequenceCommit(did: DID, commit: CommitData, attempts: Int = 3) throws -> Int64 {
        try sequence([.commit(CommitEvent(did: did, commit: commit))], attempts: attempts)[0]
    }

    /// Sequences a new account atomically: `#identity {did, handle}`, `#account {active: true}`, the genesis
    /// `#commit`, and a `#sync` of it.
    /// - Parameters:
    ///   - did: the account.
    ///   - handle: its handle.
    ///   - commit: the genesis commit.
    /// - Returns: the four seqs.
    @discardableResult
    package func sequenceAccountCreation(did: DID, handle: Handle, commit: CommitData) throws -> [Int64] {
        try sequence([
            .identity(IdentityEvent(did: did, handle: handle)),
            .account(AccountEvent(did: did, active: true)),
            .commit(CommitEvent(did: did, commit: commit)),
            .sync(try SyncEvent(did: did, commit: commit)),
        ])
    }

    /// Sequences an activation atomically: `#account {active: true}`, `#identity {did, handle}`, and a `#sync` of the
    /// current root.
    /// - Parameters:
    ///   - did: the account.
    ///   - handle: its handle.
    ///   - commitCID: the repo root commit.
    ///   - commitBlock: that commit's block.
    /// - Returns: the three seqs.
    @discardableResult
    package func sequenceAccountActivation(
        did: DID, handle: Handle?, commitCID: CID, commitBlock: [UInt8]
    ) throws -> [Int64] {
        try sequence([
            .account(AccountEvent(did: did, active: true)),
            .identity(IdentityEvent(did: did, handle: handle)),
            .sync(try SyncEvent(commitCID: commitCID, commitBlock: commitBlock)),
        ])
    }

    /// Sequences `#account {active: false, status: deleted}` and, in the same transaction, deletes every other
    /// event of the account.
    /// - Parameters:
    ///   - did: the account.
    /// - Returns: the seq of the `#account` event.
    @discardableResult
    package func sequenceAccountDeletion(did: DID) throws -> Int64 {
        try sequence([.account(AccountEvent(did: did, active: false, status: .deleted))]) { db, seqs in
            try db.execute(
                sql: "DELETE FROM repo_seq WHERE did = ? AND seq < ?", arguments: [did.rawValue, seqs[0]])
        }[0]
    }

    /// Sequences `#identity`.
    /// - Parameters:
    ///   - did: the account.
    ///   - handle: the handle to announce, or `nil` (after a PLC operation).
    /// - Returns: the seq.
    @discardableResult
    package func sequenceIdentity(did: DID, handle: Handle? = nil) throws -> Int64 {
        try sequence([.identity(IdentityEvent(did: did, handle: handle))])[0]
    }

    /// Sequences `#account`.
    /// - Parameters:
    ///   - did: the account.
    ///   - active: whether the account is active.
    ///   - status: why it is not.
    /// - Returns: the seq.
    @discardableResult
    package func sequenceAccountStatus(did: DID, active: Bool, status: AccountEvent.Status? = nil) throws -> Int64 {
        try sequence([.account(AccountEvent(did: did, active: active, status: active ? nil : status))])[0]
    }

    /// Sequences `#sync` for a commit block (repo rebuilt, keys rotated, recovery).
    /// - Parameters:
    ///   - commitCID: the commit.
    ///   - commitBlock: its block; the DID and rev are read from it.
    ///   - attempts: tries for database failures.
    /// - Returns: the seq.
    @discardableResult
    package func sequenceSync(commitCID: CID, commitBlock: [UInt8], attempts: Int = 1) throws -> Int64 {
        try sequence([.sync(try SyncEvent(commitCID: commitCID, commitBlock: commitBlock))], attempts: attempts)[0]
    }

    /// Sequences `#sync` for a formatted commit.
    /// - Parameters:
    ///   - did: the account.
    ///   - commit: the commit.
    /// - Returns: the seq.
    @discardableResult
    package func sequenceSync(did: DID, commit: CommitData) throws -> Int64 {
        try sequence([.sync(try SyncEvent(did: did, commit: commit))])[0]
    }
}
