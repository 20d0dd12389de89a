import ActorStore
import ATCore
import CoreMetrics
import Hummingbird
import ServiceDB
import Identity
import Foundation

/// The `com.atproto.repo.*` methods (record writes and reads).
///
/// Writes go through the ``RepoWriter`` (authorization, preparation, the actor transaction, sequencing, mirroring and
/// blob clean-up); the handlers here parse input and shape output.
///
/// Blobs: `uploadBlob` streams an upload into the blobstore as a temporary blob; a record write that references it
/// makes it permanent in the same commit (``PreparedBlobs``), and a write that drops the last reference deletes it.
/// `listMissingBlobs` lists referenced blobs that were never uploaded (account migration).
///
/// Not served yet: `importRepo`.
struct ComAtprotoRepo: Sendable {
    /// The record write pipeline.
    let writer: RepoWriter
    /// Request authentication (reads, uploads).
    let auth: AuthVerifier
    /// Accounts (repo resolution).
    let serviceDB: ServiceDB
    /// The per-actor stores (reads).
    let actorStore: ActorStore
    /// The blobs of an actor (uploads, `listMissingBlobs`).
    let blobs: @Sendable (DID) -> ActorBlobs
    /// `PDS_BLOB_UPLOAD_LIMIT`.
    let blobUploadLimit: Int
    /// The wall clock (upload times).
    let now: @Sendable () -> Date
    /// DID documents (`describeRepo`).
    let didDocument: @Sendable (DID) async throws -> DIDDocument?
    /// Replaces a deactivated account's repo (`importRepo`).
    let importer: RepoImporter
    /// `PDS_ACCEPTING_REPO_IMPORTS` and `PDS_MAX_REPO_IMPORT_SIZE`.
    let repoImport: PDSConfiguration.RepoImport
    /// Counts the bytes of accepted uploads (`pds_blob_uploaded_bytes_total`).
    let blobBytesUploaded: Counter

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<PDSRequestContext>) {
        let prefix = "/xrpc/com.atproto.repo."
        router.post("\(prefix)createRecord") { request, context in
            AuthHeaders.wrap(try await createRecord(request, rateLimit: context.rateLimit, logger: context.logger))
        }
        router.post("\(prefix)putRecord") { request, context in
            AuthHeaders.wrap(try await putRecord(request, rateLimit: context.rateLimit, logger: context.logger))
        }
        router.post("\(prefix)deleteRecord") { request, context in
            AuthHeaders.wrap(try await deleteRecord(request, rateLimit: context.rateLimit, logger: context.logger))
        }
        router.post("\(prefix)applyWrites") { request, context in
            AuthHeaders.wrap(try await applyWrites(request, rateLimit: context.rateLimit, logger: context.logger))
        }
        router.get("\(prefix)getRecord") { request, _ in try await getRecord(request) }
        router.get("\(prefix)listRecords") { request, _ in try await listRecords(request) }
        router.get("\(prefix)describeRepo") { request, _ in try await describeRepo(request) }
        router.post("\(prefix)uploadBlob") { request, context in
            AuthHeaders.wrap(try await uploadBlob(request, logger: context.logger))
        }
        router.post("\(prefix)importRepo") { request, _ in
            try await importRepo(request)
            return AuthHeaders.empty()
        }
        router.get("\(prefix)listMissingBlobs") { request, _ in AuthHeaders.wrap(try await listMissingBlobs(request)) }
    }

    /// The account a `repo` parameter (handle or DID) names, deactivated and taken-down accounts included.
    func findAccount(_ repo: String) async throws -> AccountRecord? {
        try await serviceDB.account(atIdentifier: repo)
    }
}
