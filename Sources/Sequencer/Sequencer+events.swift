import ATCore
import ATRepo
import GRDB

extension Sequencer {
    // MARK: - Event groups (reference-pds.md §e.1)

    /// Queues a repo commit's `#commit` (from the actor's write critical section, after the actor commit; see the
    /// write protocol in the type's documentation).
    /// - Parameters:
    ///   - did: the repo DID.
    ///   - commit: the applied commit.
    /// - Returns: the ticket to wait on outside the critical section.
    package func enqueueCommit(did: DID, commit: CommitData) -> SequencingTicket {
        enqueue([.commit(CommitEvent(did: did, commit: commit))])
    }

    /// Sequences a repo commit as `#commit` and waits until it is durable.
    /// - Parameters:
    ///   - did: the repo DID.
    ///   - commit: the applied commit.
    /// - Returns: the seq.
    @discardableResult
    package func sequenceCommit(did: DID, commit: CommitData) async throws -> Int64 {
        try await enqueueCommit(did: did, commit: commit).seqs[0]
    }

    /// Sequences a new account atomically: `#identity {did, handle}`, `#account {active: true}`, the genesis
    /// `#commit`, and a `#sync` of it.
    /// - Parameters:
    ///   - did: the account.
    ///   - handle: its handle.
    ///   - commit: the genesis commit.
    /// - Returns: the four seqs.
    @discardableResult
    package func sequenceAccountCreation(did: DID, handle: Handle, commit: CommitData) async throws -> [Int64] {
        try await sequence([
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
    ) async throws -> [Int64] {
        try await enqueueAccountActivation(did: did, handle: handle, commitCID: commitCID, commitBlock: commitBlock)
            .seqs
    }

    /// Queues what ``sequenceAccountActivation(did:handle:commitCID:commitBlock:)`` sequences (from an actor's
    /// critical section); the `#sync` releases the account's hold.
    /// - Returns: the ticket.
    package func enqueueAccountActivation(
        did: DID, handle: Handle?, commitCID: CID, commitBlock: [UInt8]
    ) throws -> SequencingTicket {
        enqueue(
            [
                .account(AccountEvent(did: did, active: true)),
                .identity(IdentityEvent(did: did, handle: handle)),
                .sync(try SyncEvent(commitCID: commitCID, commitBlock: commitBlock)),
            ], clearingHold: true)
    }

    /// Sequences `#account {active: false, status: deleted}` and, in the same transaction, deletes every other
    /// event of the account.
    /// - Parameters:
    ///   - did: the account.
    /// - Returns: the seq of the `#account` event.
    @discardableResult
    package func sequenceAccountDeletion(did: DID) async throws -> Int64 {
        try await enqueue([.account(AccountEvent(did: did, active: false, status: .deleted))]) { db, seqs in
            try db.execute(
                sql: "DELETE FROM repo_seq WHERE did = ? AND seq < ?", arguments: [did.rawValue, seqs[0]])
        }.seqs[0]
    }

    /// Sequences `#identity`.
    /// - Parameters:
    ///   - did: the account.
    ///   - handle: the handle to announce, or `nil` (after a PLC operation).
    /// - Returns: the seq.
    @discardableResult
    package func sequenceIdentity(did: DID, handle: Handle? = nil) async throws -> Int64 {
        try await sequence([.identity(IdentityEvent(did: did, handle: handle))])[0]
    }

    /// Sequences `#account`.
    /// - Parameters:
    ///   - did: the account.
    ///   - active: whether the account is active.
    ///   - status: why it is not.
    /// - Returns: the seq.
    @discardableResult
    package func sequenceAccountStatus(did: DID, active: Bool, status: AccountEvent.Status? = nil) async throws
        -> Int64
    {
        try await sequence([.account(AccountEvent(did: did, active: active, status: active ? nil : status))])[0]
    }

    /// Sequences `#sync` for a commit block (repo rebuilt, keys rotated, recovery).
    /// - Parameters:
    ///   - commitCID: the commit.
    ///   - commitBlock: its block; the DID and rev are read from it.
    /// - Returns: the seq.
    @discardableResult
    package func sequenceSync(commitCID: CID, commitBlock: [UInt8]) async throws -> Int64 {
        try await sequence([.sync(try SyncEvent(commitCID: commitCID, commitBlock: commitBlock))])[0]
    }

    /// Sequences `#sync` for a formatted commit.
    /// - Parameters:
    ///   - did: the account.
    ///   - commit: the commit.
    /// - Returns: the seq.
    @discardableResult
    package func sequenceSync(did: DID, commit: CommitData) async throws -> Int64 {
        try await sequence([.sync(try SyncEvent(did: did, commit: commit))])[0]
    }
}
