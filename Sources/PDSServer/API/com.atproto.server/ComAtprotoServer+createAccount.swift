import ActorStore
import ATCore
import ATCrypto
import ATRepo
import Foundation
import Hummingbird
import Identity
import Logging
import ServiceDB
import Sequencer

extension ComAtprotoServer {
    /// Input of `com.atproto.server.createAccount`.
    struct CreateAccountInput: Decodable {
        var email: String?
        var handle: String
        var did: String?
        var inviteCode: String?
        var password: String?
        var recoveryKey: String?
        var plcOp: Present?
    }

    /// Output of `com.atproto.server.createAccount`.
    struct CreateAccountOutput: ResponseEncodable {
        var handle: String
        var did: String
        var didDoc: DIDDocument?
        var accessJwt: String
        var refreshJwt: String
    }

    /// `com.atproto.server.createAccount` (the local, non-entryway path of reference h.1): validates, creates the
    /// DID with a PLC genesis op (unless a DID is brought with service auth), the actor store with an empty signed
    /// repo, and the account with its first session; undoes what was done when a later step fails.
    func createAccount(_ request: Request, logger: Logger) async throws -> CreateAccountOutput {
        let input = try await XRPCBody.decode(CreateAccountInput.self, from: request)
        let serviceAuth = try await auth.serviceAuth(request, lxm: "com.atproto.server.createAccount")
        if input.plcOp != nil { throw XRPCError.invalidRequest("Unsupported input: \"plcOp\"") }
        guard let email = input.email?.trimmingCharacters(in: .whitespaces), !email.isEmpty else {
            throw XRPCError.invalidRequest("Email is required")
        }
        guard Self.isPlausibleEmail(email) else {
            throw XRPCError.invalidRequest("This email address is not supported, please use a different email.")
        }
        guard let password = input.password, !password.isEmpty else {
            throw XRPCError.invalidRequest("Password is required")
        }
        guard password.count <= 256 else { throw XRPCError.invalidRequest("Password too long") }
        let inviteCode = input.inviteCode?.trimmingCharacters(in: .whitespaces)
        if configuration.invites.required && (inviteCode ?? "").isEmpty {
            throw XRPCError.invalidRequest("No invite code provided", name: XRPCErrorName.invalidInviteCode)
        }
        let handle = try HandleRules(serviceDomains: configuration.identity.serviceHandleDomains)
            .normalizeAndValidate(input.handle)
        if let recoveryKey = input.recoveryKey, (try? parseDIDKey(recoveryKey)) == nil {
            throw XRPCError.invalidRequest("Recovery key must be a did:key")
        }
        if configuration.invites.required, let inviteCode { try await services.serviceDB.checkInviteCode(inviteCode) }
        if try await services.serviceDB.account(handle: handle) != nil {
            throw XRPCError.invalidRequest("Handle already taken: \(handle)", name: XRPCErrorName.handleNotAvailable)
        }
        if try await services.serviceDB.account(email: email) != nil {
            throw XRPCError.invalidRequest("Email already taken: \(email)")
        }

        var broughtDID: DID?
        if let raw = input.did {
            guard let did = try? DID(raw) else { throw XRPCError.invalidRequest("Invalid DID: \(raw)") }
            guard let serviceAuth else {
                throw XRPCError.authRequired("Missing auth to create account with did")
            }
            guard serviceAuth.iss == did else {
                throw XRPCError.authRequired("Auth is not for the requested did", name: XRPCErrorName.authenticationRequired)
            }
            if try await services.serviceDB.account(did: did) != nil {
                throw XRPCError.invalidRequest("Account already exists", name: XRPCErrorName.alreadyExists)
            }
            broughtDID = did
        }

        let created = try await createIdentityAndRepo(
            handle: handle, broughtDID: broughtDID, recoveryKey: input.recoveryKey)
        let did = created.did
        do {
            let access = try services.tokens.createAccessToken(did: did, scope: .access)
            let refresh = try services.tokens.createRefreshToken(did: did)
            let passwordScrypt = try await Password.offloaded { try Password.hash(password) }
            try await services.serviceDB.createAccount(
                .init(
                    did: did, handle: handle, email: email, passwordScrypt: passwordScrypt,
                    repoCID: created.repo.cid, repoRev: created.repo.rev,
                    inviteCode: configuration.invites.required ? inviteCode : nil,
                    deactivatedDeleteAfter: broughtDID == nil ? nil : Date().addingTimeInterval(3 * 24 * 3600)),
                refreshToken: .init(id: refresh.id, expiresAt: refresh.expiresAt))
            if let keyName = created.reservedKeyName {
                try? await services.actorStore.clearReservedKeypair(keyName, did: did)
            }
            // `#identity`, `#account`, `#commit` and `#sync` in one transaction; none for an account created
            // deactivated (migration or bring-your-own DID), as the reference does.
            if broughtDID == nil {
                _ = try await services.sequencer.sequenceAccountCreation(did: did, handle: handle, commit: created.repo)
            }
            return CreateAccountOutput(
                handle: handle.rawValue, did: did.rawValue, didDoc: created.didDoc, accessJwt: access,
                refreshJwt: refresh.token)
        } catch ServiceDBError.accountExists {
            // Another request created this DID's account concurrently: its rows and store are not ours to undo.
            throw XRPCError.invalidRequest("Account already exists", name: XRPCErrorName.alreadyExists)
        } catch {
            await rollBackAccountCreation(did: did, createdDID: broughtDID == nil, logger: logger)
            throw error
        }
    }

    /// What the identity and repo steps produced.
    struct CreatedIdentity {
        var did: DID
        var repo: CommitData
        var didDoc: DIDDocument?
        var reservedKeyName: DID?
    }

    /// Generates the signing key, creates the DID (genesis op) unless one was brought, the actor store and the
    /// genesis repo; rolls these back if any step fails.
    private func createIdentityAndRepo(handle: Handle, broughtDID: DID?, recoveryKey: String?) async throws
        -> CreatedIdentity
    {
        var keypair = Secp256k1Keypair()
        var reservedKeyName: DID?
        if let broughtDID, let reserved = try await services.actorStore.reservedKeypair(broughtDID) {
            keypair = reserved
            reservedKeyName = broughtDID
        }
        let did: DID
        var state: PLCState?
        var operation: PLCOperation?
        if let broughtDID {
            did = broughtDID
        } else {
            var rotationKeys = [services.plcRotationKey.did]
            if let recovery = configuration.identity.recoveryDIDKey { rotationKeys.insert(recovery, at: 0) }
            if let recoveryKey { rotationKeys.insert(recoveryKey, at: 0) }
            let genesisState = PLCState.atproto(
                signingKey: keypair.did, handle: handle, pdsEndpoint: configuration.service.publicURL,
                rotationKeys: rotationKeys)
            let genesis = try PLCOperation.genesis(state: genesisState, signer: services.plcRotationKey)
            did = genesis.did
            state = genesisState
            operation = genesis.operation
        }

        try await services.actorStore.create(did, keypair: keypair)
        do {
            let repo = try await services.createGenesisRepo(did: did, keypair: keypair)
            // Last step that can fail here: once the DID exists, failures are rolled back by the caller.
            if let operation { try await services.plcClient.sendOperation(did, operation) }
            let didDoc: DIDDocument?
            if let state {
                didDoc = state.didDocument(did: did)
                _ = try? await services.didDocument(did, forceRefresh: true)
            } else {
                didDoc = try? await services.didDocument(did, forceRefresh: true)
            }
            return CreatedIdentity(did: did, repo: repo, didDoc: didDoc, reservedKeyName: reservedKeyName)
        } catch {
            try? await services.destroyActor(did)
            throw error
        }
    }

    /// Undoes a partly created account: its rows, its PLC DID (tombstoned, only when this server created it) and
    /// its actor store. Failures here are logged, not thrown: the original error is what the client sees.
    private func rollBackAccountCreation(did: DID, createdDID: Bool, logger: Logger) async {
        do { try await services.serviceDB.deleteAccount(did: did) } catch {
            logger.error("Rollback: deleting account rows failed", metadata: ["atproto.did": "\(did)"])
        }
        if createdDID {
            do { _ = try await services.plcClient.tombstone(did, signer: services.plcRotationKey) } catch {
                logger.error("Rollback: tombstoning the DID failed", metadata: ["atproto.did": "\(did)"])
            }
        }
        do { try await services.destroyActor(did) } catch {
            logger.error("Rollback: destroying the actor store failed", metadata: ["atproto.did": "\(did)"])
        }
    }

    /// A light email syntax check: one `@`, a non-empty local part, a dotted domain, no spaces.
    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, email.count <= 254, !email.contains(where: \.isWhitespace)
        else { return false }
        let domain = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return domain.count >= 2 && domain.allSatisfy { !$0.isEmpty }
    }
}

/// Decodes any JSON value, keeping only the fact that it was present (for inputs the server refuses).
struct Present: Decodable {
    init(from decoder: any Decoder) throws {}
}
