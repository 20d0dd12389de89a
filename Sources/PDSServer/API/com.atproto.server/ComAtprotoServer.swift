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
    /// The email-token flows (confirmation, email update, password reset, deletion request).
    let emailFlows: AccountEmailFlows
    /// `deleteAccount`.
    let deleter: AccountDeleter

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
        registerEmailMethods(on: router)
    }

    /// Registers the email-token methods and `deleteAccount`.
    private func registerEmailMethods(on router: some RouterMethods<PDSRequestContext>) {
        let prefix = "/xrpc/com.atproto.server."
        router.post("\(prefix)requestEmailConfirmation") { request, context in
            try await requestEmailConfirmation(request, rateLimit: context.rateLimit)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)confirmEmail") { request, _ in
            try await confirmEmail(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)requestEmailUpdate") { request, context in
            AuthHeaders.wrap(try await requestEmailUpdate(request, rateLimit: context.rateLimit))
        }
        router.post("\(prefix)updateEmail") { request, _ in
            try await updateEmail(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)requestPasswordReset") { request, _ in
            try await requestPasswordReset(request)
            return Response(status: .ok)
        }
        router.post("\(prefix)resetPassword") { request, _ in
            try await resetPassword(request)
            return Response(status: .ok)
        }
        router.post("\(prefix)requestAccountDelete") { request, context in
            try await requestAccountDelete(request, rateLimit: context.rateLimit)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)deleteAccount") { request, context in
            try await deleteAccount(request, logger: context.logger)
            return Response(status: .ok)
        }
    }
}
