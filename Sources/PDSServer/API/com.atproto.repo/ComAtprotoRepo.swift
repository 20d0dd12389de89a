import ActorStore
import ATCore
import ATRepo
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Lexicon
import Logging
import Sequencer
import ServiceDB

/// The `com.atproto.repo.*` methods (record writes and reads).
///
/// Blobs: `uploadBlob` streams an upload into the blobstore as a temporary blob; a record write that references it
/// makes it permanent in the same commit (``PreparedBlobs``), and a write that drops the last reference deletes it.
/// `listMissingBlobs` lists referenced blobs that were never uploaded (account migration).
///
/// Not served yet: `importRepo`.
struct ComAtprotoRepo: Sendable {
    let services: PDSServices

    var auth: AuthVerifier { services.authVerifier }

    /// Registers this namespace's methods on the router.
    func register(on router: Router<some RequestContext>) {
        let prefix = "/xrpc/com.atproto.repo."
        router.post("\(prefix)createRecord") { request, context in
            AuthHeaders.wrap(try await createRecord(request, logger: context.logger))
        }
        router.post("\(prefix)putRecord") { request, context in
            AuthHeaders.wrap(try await putRecord(request, logger: context.logger))
        }
        router.post("\(prefix)deleteRecord") { request, context in
            AuthHeaders.wrap(try await deleteRecord(request, logger: context.logger))
        }
        router.post("\(prefix)applyWrites") { request, context in
            AuthHeaders.wrap(try await applyWrites(request, logger: context.logger))
        }
        router.get("\(prefix)getRecord") { request, _ in try await getRecord(request) }
        router.get("\(prefix)listRecords") { request, _ in try await listRecords(request) }
        router.get("\(prefix)describeRepo") { request, _ in try await describeRepo(request) }
        router.post("\(prefix)uploadBlob") { request, context in
            AuthHeaders.wrap(try await uploadBlob(request, logger: context.logger))
        }
        router.get("\(prefix)listMissingBlobs") { request, _ in AuthHeaders.wrap(try await listMissingBlobs(request)) }
    }
}

/// A JSON response body built from an atproto data-model value (records keep their `$link`/`$bytes` forms).
struct LexJSONResponse: ResponseGenerator {
    var value: LexValue

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes)))
    }
}

extension ComAtprotoRepo {
    // MARK: - Repo resolution

    /// The account a `repo` parameter (handle or DID) names, deactivated and taken-down accounts included.
    func findAccount(_ repo: String) async throws -> AccountRecord? {
        if let did = try? DID(repo) { return try await services.serviceDB.account(did: did) }
        if let handle = try? Handle(repo) { return try await services.serviceDB.account(handle: handle) }
        return nil
    }

    /// The write preamble (reference-pds §f.1): a standard access token of an account that is neither taken down
    /// nor deactivated, and `repo` resolving to the caller's DID.
    /// - Returns: the repo DID.
    func authorizeWrite(_ request: Request, repo: String) async throws -> DID {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, checkTakedown: true, checkDeactivated: true)
        guard let account = try await findAccount(repo) else {
            throw XRPCError.invalidRequest("Could not find repo: \(repo)")
        }
        guard account.did == caller.did else { throw XRPCError.authRequired() }
        return account.did
    }

    // MARK: - Preparing writes (reference-pds §f.2)

    /// A record write ready for `processWrites`, with what the response reports.
    struct PreparedWrite: Sendable {
        var write: RepoWrite
        var uri: ATURI
        var cid: CID?
        var validationStatus: String?
    }

    /// Prepares a create or update: fills or checks `$type`, picks a TID rkey when none is given, validates.
    func prepareRecordWrite(
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
        let rkey = rkey ?? RecordKey(services.tidGenerator.next())
        let status = try Self.validationStatus(record, collection: collection, rkey: rkey, validate: validate)
        let write: RepoWrite =
            action == .create
            ? .create(collection, rkey, record, swapRecord: swapRecord)
            : .update(collection, rkey, record, swapRecord: swapRecord)
        return PreparedWrite(
            write: write, uri: ATURI(did: did, collection: collection, rkey: rkey), cid: DAGCBOR.cid(of: record),
            validationStatus: status)
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

    // MARK: - Committing (reference-pds §f.3, DESIGN §4)

    /// Runs `body` in the actor's write transaction; when it returns writes, applies them as one commit, sequences
    /// the `#commit` right after the actor transaction commits (still in the actor's critical section), then mirrors
    /// the root into `account.sqlite`.
    ///
    /// The blobs `records` reference are claimed with the commit (``PreparedBlobs``): checked and moved to permanent
    /// storage before the transaction, made permanent and associated inside it; blobs the writes dereference lose
    /// their rows in it and their bytes after it. When a blob's row changes in between (a concurrent re-upload or
    /// garbage collection), the whole write is prepared and run again, a few times at most.
    ///
    /// A sequencing failure after the commit is durable is logged, not returned: the write happened. The actor is
    /// marked pending with the ``RepoReconciler``, which emits a `#sync` of it in the background or, at the latest,
    /// first thing in the actor's next write (before `processWrites`).
    /// - Parameters:
    ///   - did: the repo.
    ///   - swapCommit: the commit the caller expects to be current.
    ///   - records: the records `body` may create or update (their blob references are prepared).
    ///   - logger: where post-commit failures go.
    ///   - body: decides the writes inside the transaction.
    /// - Returns: `body`'s value and the commit, or `nil` when `body` chose not to write.
    func commit<T: Sendable>(
        did: DID, swapCommit: CID?, records: [LexValue], logger: Logger,
        _ body: @escaping @Sendable (ActorStoreTransactor) throws -> (writes: [RepoWrite], result: T)
    ) async throws -> (result: T, commit: CommitData?) {
        let sequencer = services.sequencer
        let reconciler = services.reconciler
        let blobs = services.blobs(of: did)
        var attempt = 0
        while true {
            attempt += 1
            let prepared = try await blobs.prepareWrite(records: records)
            let outcome: (T, CommitData?, [CID])
            do {
                outcome = try await services.actorStore.transact(did) { txn -> (T, CommitData?, [CID]) in
                    try reconciler.reconcileIfPending(txn)
                    let (writes, result) = try body(txn)
                    guard !writes.isEmpty else { return (result, nil, []) }
                    let commit = try txn.repo.processWrites(writes, swapCommit: swapCommit)
                    let dereferenced = try prepared.apply(txn, writes: writes)
                    txn.afterCommit {
                        do {
                            try sequencer.sequenceCommit(did: did, commit: commit)
                        } catch {
                            logger.error(
                                "sequencing a commit failed; a #sync will announce it",
                                metadata: ["did": "\(did)", "rev": "\(commit.rev)", "error": "\(error)"])
                            reconciler.markPending(did)
                        }
                    }
                    return (result, commit, dereferenced)
                }
            } catch is PreparedBlobs.Conflict where attempt < Self.blobClaimAttempts {
                continue
            }
            if let commit = outcome.1 {
                do {
                    try await services.serviceDB.updateRepoRoot(did: did, cid: commit.cid, rev: commit.rev)
                } catch {
                    logger.warning(
                        "updating the repo root mirror failed", metadata: ["did": "\(did)", "error": "\(error)"])
                }
            }
            await blobs.deleteDereferenced(outcome.2, logger: logger)
            return (outcome.0, outcome.1)
        }
    }

    /// How many times a write is prepared when blob rows keep changing under it.
    static let blobClaimAttempts = 3

    /// `{cid, rev}` of a commit, as the write outputs report it.
    static func commitMeta(_ commit: CommitData) -> LexValue {
        .map(["cid": .string(commit.cid.description), "rev": .string(commit.rev.rawValue)])
    }
}

/// Reading fields of a JSON procedure input kept as a data-model value (records must stay `LexValue`).
struct RepoInput {
    let value: LexValue

    init(_ value: LexValue) throws {
        guard case .map = value else { throw XRPCError.invalidRequest("Input must be an object") }
        self.value = value
    }

    func string(_ name: String) throws -> String? {
        switch value[name] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw XRPCError.invalidRequest("Input/\(name) must be a string")
        }
    }

    func requireString(_ name: String) throws -> String {
        guard let s = try string(name) else {
            throw XRPCError.invalidRequest("Input must have the property \"\(name)\"")
        }
        return s
    }

    func parse<T>(_ name: String, required: Bool = false, _ parse: (String) throws -> T) throws -> T? {
        guard let raw = try required ? requireString(name) : string(name) else { return nil }
        do { return try parse(raw) } catch { throw XRPCError.invalidRequest("Input/\(name) must be valid: \(raw)") }
    }

    func bool(_ name: String) throws -> Bool? {
        switch value[name] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw XRPCError.invalidRequest("Input/\(name) must be a boolean")
        }
    }

    func record(_ name: String = "record") throws -> LexValue {
        guard let record = value[name] else {
            throw XRPCError.invalidRequest("Input must have the property \"\(name)\"")
        }
        guard case .map = record else { throw XRPCError.invalidRequest("Input/\(name) must be an object") }
        return record
    }

    /// A `swapRecord`-style field: absent → no check, `null` → must be absent, a CID → must match.
    func swap(_ name: String) throws -> RepoWrite.Swap? {
        switch value[name] {
        case nil: return nil
        case .null?: return .absent
        case .string(let raw)?:
            guard let cid = try? CID(raw) else { throw XRPCError.invalidRequest("Input/\(name) must be a cid string") }
            return .cid(cid)
        default: throw XRPCError.invalidRequest("Input/\(name) must be a cid string")
        }
    }
}
