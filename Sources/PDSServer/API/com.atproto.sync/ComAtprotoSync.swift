import ATCore
import ActorStore
import BlobStore
import Hummingbird
import HummingbirdWebSocket
import Sequencer
import ServiceDB

/// The `com.atproto.sync.*` methods: repo and blob export for relays and migrations, and the `subscribeRepos` firehose.
struct ComAtprotoSync: Sendable {
    /// Accounts (repo availability, `listRepos`, `getRepoStatus`).
    let serviceDB: ServiceDB
    /// Request authentication (owners and the admin may read unavailable repos).
    let auth: AuthVerifier
    /// The per-actor stores (repos, records, blob metadata).
    let actorStore: ActorStore
    /// The blobstore of each actor (`getBlob`).
    let blobstore: BlobStoreFactory
    /// The event sequence behind `subscribeRepos`.
    let sequencer: Sequencer
    /// `PDS_MAX_SUBSCRIPTION_BUFFER`: how far a `subscribeRepos` consumer may fall behind.
    let maxSubscriptionBuffer: Int

    /// The media type of CAR responses.
    static let carContentType = "application/vnd.ipld.car"

    /// Registers the HTTP methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        let prefix = "/xrpc/com.atproto.sync."
        router.get("\(prefix)getRepo") { request, _ in try await getRepo(request) }
        router.get("\(prefix)getCheckout") { request, _ in try await getCheckout(request) }
        router.get("\(prefix)getLatestCommit") { request, _ in try await getLatestCommit(request) }
        router.get("\(prefix)getHead") { request, _ in try await getHead(request) }
        router.get("\(prefix)getRecord") { request, _ in try await getRecord(request) }
        router.get("\(prefix)getBlocks") { request, _ in try await getBlocks(request) }
        router.get("\(prefix)listRepos") { request, _ in try await listRepos(request) }
        router.get("\(prefix)getRepoStatus") { request, _ in try await getRepoStatus(request) }
        router.get("\(prefix)listBlobs") { request, _ in try await listBlobs(request) }
        router.get("\(prefix)getBlob") { request, _ in try await getBlob(request) }
    }

    /// Registers `subscribeRepos` on the WebSocket upgrade router.
    func register(onWebSocket router: Router<WebSocketChannelRequestContext>) {
        router.ws("/xrpc/com.atproto.sync.subscribeRepos") { inbound, outbound, context in
            try await subscribeRepos(inbound: inbound, outbound: outbound, context: context)
        }
    }

    // MARK: - Shared checks

    /// The account behind a repo that may be served (the reference's `assertRepoAvailability`): taken-down and
    /// deactivated repos are served only to their owner (an access token) and to the admin (Basic).
    /// - Parameters:
    ///   - did: the repo.
    ///   - request: the request, for its optional credentials.
    /// - Throws: 400 `RepoNotFound`, `RepoTakendown`, `RepoDeactivated`; auth errors for invalid credentials.
    func availableAccount(_ did: DID, request: Request) async throws -> AccountRecord {
        guard let account = try await serviceDB.account(did: did) else {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", name: XRPCErrorName.repoNotFound)
        }
        if account.status == .active { return account }
        if try await isOwnerOrAdmin(request, did: did) { return account }
        switch account.status {
        case .takendown: throw XRPCError.invalidRequest("Repo has been takendown: \(did)", name: XRPCErrorName.repoTakendown)
        case .deactivated:
            throw XRPCError.invalidRequest("Repo has been deactivated: \(did)", name: XRPCErrorName.repoDeactivated)
        case .active, .suspended, .deleted:
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", name: XRPCErrorName.repoNotFound)
        }
    }

    /// Whether the caller is `did` itself or the admin (the reference's `authorizationOrAdminTokenOptional`
    /// followed by `isUserOrAdmin`). No credentials: `false`.
    /// - Throws: auth errors when credentials are present but invalid.
    func isOwnerOrAdmin(_ request: Request, did: DID) async throws -> Bool {
        guard request.headers[.authorization] != nil else { return false }
        if AuthVerifier.hasBasicCredentials(request) {
            try auth.admin(request)
            return true
        }
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, allowTakendown: true, oauth: .allowed)
        return caller.did == did
    }

    /// The required `did` parameter.
    func didParameter(_ parameters: XRPCParameters) throws -> DID {
        try parameters.parseRequired("did") { try DID($0) }
    }

    /// Runs `body` on the actor's store.
    /// - Throws: 400 `RepoNotFound` when the account has no store, or what `body` throws.
    func read<T: Sendable>(
        _ did: DID, _ body: @escaping @Sendable (ActorStoreReader) throws -> T
    ) async throws -> T {
        do {
            return try await actorStore.read(did, body)
        } catch ActorStoreError.actorNotFound {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", name: XRPCErrorName.repoNotFound)
        }
    }

    /// The current root of an available repo.
    /// - Throws: 400 `RepoNotFound` when the repo has no commit yet.
    func currentRoot(_ did: DID) async throws -> (cid: CID, rev: TID) {
        let root = try await read(did) { try $0.repo.root() }
        guard let root else {
            throw XRPCError.invalidRequest("Could not find root for DID: \(did)", name: XRPCErrorName.repoNotFound)
        }
        return root
    }

    /// A CAR response.
    static func carResponse(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok, headers: [.contentType: carContentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
