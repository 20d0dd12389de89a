import ActorStore
import ATCore
import ATRepo
import Hummingbird
import Lexicon
import Logging
import Sequencer
import ServiceDB

/// The record write pipeline, in one place: authorize → prepare records and blobs → the actor transaction → queue
/// the `#commit` → wait until it is durable → mirror the root → delete dereferenced blobs. `createRecord`,
/// `putRecord`, `deleteRecord` and `applyWrites` are thin handlers over it (and `importRepo` will be).
///
/// ## The guarantee (DESIGN §4)
///
/// *An acknowledged write always has its firehose event, and no event ever exists for a write that was not
/// durable.* ``commit(did:swapCommit:records:logger:_:)`` keeps it this way:
///
/// 1. In the actor's write critical section (``ActorStore/transact(_:_:committed:)``), the writes are applied as one
///    signed commit and the actor transaction commits.
/// 2. Right after the commit, still in the critical section, the `#commit` is queued with
///    ``Sequencer/enqueueCommit(did:commit:)``: its place in the sequence is fixed, after every earlier event of the
///    actor, but nothing waits for the disk yet.
/// 3. The critical section ends — the actor's next write can start — and the writer waits for its event to be
///    durable (group-committed with other writes' events) while the root is mirrored into `account.sqlite`.
/// 4. Only then is the client answered.
///
/// So two writes of one account overlap in step 3 and are acknowledged in rev order with increasing seqs. A crash
/// between 1 and the event's fsync leaves a durable commit without an event and an unanswered client; the start-up
/// reconcile (``RepoReconciler``) announces it with a `#sync`. If the event cannot be sequenced (after the
/// sequencer's retries), the account is held by the sequencer and marked pending with the reconciler: the write was
/// durable, so it is acknowledged, and its `#sync` comes from the reconcile — in the background, or first thing in
/// the actor's next write. Until that reconcile succeeds the actor's writes fail rather than pile up unannounced
/// commits.
struct RepoWriter: Sendable {
    let actorStore: ActorStore
    let sequencer: Sequencer
    let reconciler: RepoReconciler
    let serviceDB: ServiceDB
    let auth: AuthVerifier
    let mirror: RepoRootMirror
    let tidGenerator: TIDGenerator
    let blobs: @Sendable (DID) -> ActorBlobs

    /// How many times a write is prepared when blob rows keep changing under it.
    static let blobClaimAttempts = 3

    // MARK: - Authorize (reference-pds §f.1)

    /// The write preamble: a standard access token of an account that is neither taken down nor deactivated, and
    /// `repo` resolving to the caller's DID.
    /// - Parameters:
    ///   - request: the request (its credentials).
    ///   - repo: the `repo` input (handle or DID).
    ///   - writes: the collections written and how, which an OAuth token's `repo:` permissions must allow.
    /// - Returns: the repo DID.
    func authorize(_ request: Request, repo: String, writes: [(collection: String, action: OAuthPermission.RepoAction)])
        async throws -> DID
    {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, checkTakedown: true, checkDeactivated: true, oauth: .allowed)
        for write in writes { try caller.authorizeRepo(collection: write.collection, action: write.action) }
        // The usual case, the caller's own DID, needs no second lookup.
        if repo == caller.did.rawValue { return caller.did }
        guard let account = try await serviceDB.account(atIdentifier: repo) else {
            throw XRPCError.invalidRequest("Could not find repo: \(repo)")
        }
        guard account.did == caller.did else { throw XRPCError.authRequired() }
        return account.did
    }

    // MARK: - Prepare (reference-pds §f.2)

    /// A record write ready for `processWrites`, with what the response reports.
    struct PreparedWrite: Sendable {
        var write: RepoWrite
        var uri: ATURI
        var validationStatus: String?

        /// The new record's CID (`nil` for deletes).
        var cid: CID? { write.recordBlock?.cid }
    }

    /// Prepares a create or update: fills or checks `$type`, picks a TID rkey when none is given, validates, and
    /// encodes the record (once: those bytes are hashed, stored and sent on the firehose).
    func prepareRecord(
        action: RepoWrite.Action, did: DID, collection: NSID, rkey: RecordKey?, record: LexValue, validate: Bool?,
        swapRecord: RepoWrite.Swap?
    ) throws -> PreparedWrite {
        guard var fields = record.map else { throw XRPCError.invalidRequest("Record must be an object") }
        switch fields["$type"] {
        case nil: fields["$type"] = .string(collection.rawValue)
        case .string(let type) where type == collection.rawValue: break
        case let other:
            throw XRPCError.invalidRequest(
                "Invalid $type: expected \(collection.rawValue), got \(other?.string ?? "a non-string")")
        }
        let record = LexValue.map(fields)
        let rkey = rkey ?? RecordKey(tidGenerator.next())
        let status = try Self.validationStatus(record, collection: collection, rkey: rkey, validate: validate)
        let write =
            action == .create
            ? RepoWrite.create(collection, rkey, record, swapRecord: swapRecord)
            : RepoWrite.update(collection, rkey, record, swapRecord: swapRecord)
        return PreparedWrite(
            write: write, uri: ATURI(did: did, collection: collection, rkey: rkey), validationStatus: status)
    }

    /// A prepared delete.
    func prepareDelete(did: DID, collection: NSID, rkey: RecordKey, swapRecord: RepoWrite.Swap? = nil)
        -> PreparedWrite
    {
        PreparedWrite(
            write: .delete(collection, rkey, swapRecord: swapRecord),
            uri: ATURI(did: did, collection: collection, rkey: rkey), validationStatus: nil)
    }

    /// The `validationStatus` of a record: `nil` when `validate` is `false`, `unknown` for a type the server has no
    /// lexicon for (an error when `validate` is `true`), `valid` after validating a known type.
    /// - Throws: 400 `InvalidRequest` with the lexicon message.
    static func validationStatus(_ record: LexValue, collection: NSID, rkey: RecordKey, validate: Bool?) throws
        -> String?
    {
        if validate == false { return nil }
        guard KnownLexicons.catalog.hasRecordType(collection) else {
            if validate == true { throw XRPCError.invalidRequest("Lexicon not found: lex:\(collection.rawValue)") }
            return "unknown"
        }
        do {
            try KnownLexicons.validator.validateRecord(record, collection: collection, rkey: rkey)
        } catch {
            throw XRPCError.invalidRequest("Invalid \(collection.rawValue) record: \(error)")
        }
        return "valid"
    }

    // MARK: - Commit (reference-pds §f.3)

    /// What the transaction produced, carried out of the critical section.
    private struct Staged<T: Sendable>: Sendable {
        var result: T
        var commit: CommitData?
        var dereferenced: [CID]
    }

    /// Runs `body` in the actor's write transaction; when it returns writes, applies them as one commit and sees it
    /// through the pipeline (see the type's documentation).
    ///
    /// The blobs `records` reference are claimed with the commit (``PreparedBlobs``): checked and moved to permanent
    /// storage before the transaction, made permanent and associated inside it; blobs the writes dereference lose
    /// their rows in it and their bytes after it. When a blob's row changes in between (a concurrent re-upload or
    /// garbage collection), the whole write is prepared and run again, a few times at most.
    /// - Parameters:
    ///   - did: the repo.
    ///   - swapCommit: the commit the caller expects to be current.
    ///   - records: the records `body` may create or update (their blob references are prepared).
    ///   - logger: where post-commit failures go.
    ///   - body: decides the writes inside the transaction (for example from the record index).
    /// - Returns: `body`'s value and the commit, or `nil` when `body` chose not to write.
    func commit<T: Sendable>(
        did: DID, swapCommit: CID?, records: [LexValue], logger: Logger,
        _ body: @escaping @Sendable (ActorStoreTransactor) throws -> (writes: [RepoWrite], result: T)
    ) async throws -> (result: T, commit: CommitData?) {
        let sequencer = self.sequencer
        let reconciler = self.reconciler
        let blobs = self.blobs(did)
        var attempt = 0
        while true {
            attempt += 1
            let prepared = try await blobs.prepareWrite(records: records)
            let staged: Staged<T>
            let ticket: SequencingTicket?
            do {
                (staged, ticket) = try await actorStore.transact(did) { txn -> Staged<T> in
                    try reconciler.reconcileIfPending(txn)
                    let (writes, result) = try body(txn)
                    guard !writes.isEmpty else { return Staged(result: result, commit: nil, dereferenced: []) }
                    let commit = try txn.repo.processWrites(writes, swapCommit: swapCommit)
                    let dereferenced = try prepared.apply(txn, writes: writes)
                    return Staged(result: result, commit: commit, dereferenced: dereferenced)
                } committed: { staged in
                    // Still in the critical section: the event's place follows every earlier event of the actor.
                    (staged, staged.commit.map { sequencer.enqueueCommit(did: did, commit: $0) })
                }
            } catch is PreparedBlobs.Conflict where attempt < Self.blobClaimAttempts {
                continue
            }
            guard let commit = staged.commit, let ticket else { return (staged.result, nil) }
            async let mirrored: Void = mirror.update(did: did, cid: commit.cid, rev: commit.rev)
            do {
                _ = try await ticket.seqs
            } catch {
                logger.error(
                    "Sequencing a commit failed; a #sync will announce it",
                    metadata: ["atproto.did": "\(did)", "repo.rev": "\(commit.rev)", "error": "\(error)"])
                reconciler.markPending(did)
            }
            await mirrored
            await blobs.deleteDereferenced(staged.dereferenced, logger: logger)
            return (staged.result, commit)
        }
    }

    /// `{cid, rev}` of a commit, as the write outputs report it.
    static func commitMeta(_ commit: CommitData) -> LexValue {
        .map(["cid": .string(commit.cid.description), "rev": .string(commit.rev.rawValue)])
    }
}
