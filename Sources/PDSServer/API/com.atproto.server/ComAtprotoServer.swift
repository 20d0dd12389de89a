import ActorStore
import Hummingbird
import Sequencer
import ServiceDB

/// The `com.atproto.server.*` methods.
struct ComAtprotoServer: Sendable {
    /// `PDS_HOSTNAME`, `PDS_SERVICE_DID`, the public URL, the upload limit and the links of `describeServer`.
    let service: PDSConfiguration.Service
    /// The service handle domains and `PDS_ENABLE_DID_DOC_WITH_SESSION`.
    let identity: PDSConfiguration.Identity
    /// The invite code policy (`PDS_INVITE_*`).
    let invites: PDSConfiguration.Invites
    /// Request authentication.
    let auth: AuthVerifier
    /// Access and refresh JWTs (sessions).
    let tokens: SessionTokens
    /// Accounts, sessions, app passwords and invite codes.
    let serviceDB: ServiceDB
    /// Login password checks (`createSession`).
    let passwords: PasswordVerifier
    /// The per-actor stores (account status, activation, signing keys).
    let actorStore: ActorStore
    /// The `#account`, `#identity` and `#sync` events of account creation, activation and deactivation.
    let sequencer: Sequencer
    /// DID documents (sessions, account status).
    let didDocuments: DIDDocumentSource
    /// Creates the DID, actor store and genesis repo of a new account, and undoes them (`createAccount`).
    let provisioner: AccountProvisioner

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<PDSRequestContext>) {
        let prefix = "/xrpc/com.atproto.server."
        router.get("\(prefix)describeServer") { _, _ in describeServer() }
        router.post("\(prefix)createAccount") { request, context in
            try await createAccount(request, logger: context.logger)
        }
        router.post("\(prefix)createSession") { request, context in
            try await createSession(request, rateLimit: context.rateLimit)
        }
        router.get("\(prefix)getSession") { request, _ in AuthHeaders.wrap(try await getSession(request)) }
        router.post("\(prefix)refreshSession") { request, _ in AuthHeaders.wrap(try await refreshSession(request)) }
        router.post("\(prefix)deleteSession") { request, _ in
            try await deleteSession(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)createAppPassword") { request, _ in
            AuthHeaders.wrap(try await createAppPassword(request))
        }
        router.get("\(prefix)listAppPasswords") { request, _ in AuthHeaders.wrap(try await listAppPasswords(request)) }
        router.post("\(prefix)revokeAppPassword") { request, _ in
            try await revokeAppPassword(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)createInviteCode") { request, _ in AuthHeaders.wrap(try await createInviteCode(request)) }
        router.post("\(prefix)createInviteCodes") { request, _ in
            AuthHeaders.wrap(try await createInviteCodes(request))
        }
        router.get("\(prefix)getAccountInviteCodes") { request, _ in
            AuthHeaders.wrap(try await getAccountInviteCodes(request))
        }
        router.get("\(prefix)checkAccountStatus") { request, _ in
            AuthHeaders.wrap(try await checkAccountStatus(request))
        }
        router.post("\(prefix)activateAccount") { request, _ in
            try await activateAccount(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)deactivateAccount") { request, _ in
            try await deactivateAccount(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)reserveSigningKey") { request, _ in try await reserveSigningKey(request) }
        router.get("\(prefix)getServiceAuth") { request, _ in AuthHeaders.wrap(try await getServiceAuth(request)) }
    }
}
