import ATCore
import ATCrypto
import ATRepo
import ActorStore
import Foundation
import Hummingbird
import Identity
import Logging
import Sequencer
import ServiceDB

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
        if invites.required && (inviteCode ?? "").isEmpty {
            throw XRPCError.invalidRequest("No invite code provided", name: XRPCErrorName.invalidInviteCode)
        }
        let handle = try HandleRules(serviceDomains: identity.serviceHandleDomains)
            .normalizeAndValidate(input.handle)
        if let recoveryKey = input.recoveryKey, (try? parseDIDKey(recoveryKey)) == nil {
            throw XRPCError.invalidRequest("Recovery key must be a did:key")
        }
        if invites.required, let inviteCode { try await serviceDB.checkInviteCode(inviteCode) }
        if try await serviceDB.account(handle: handle) != nil {
            throw XRPCError.invalidRequest("Handle already taken: \(handle)", name: XRPCErrorName.handleNotAvailable)
        }
        if try await serviceDB.account(email: email) != nil {
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
            if try await serviceDB.account(did: did) != nil {
                throw XRPCError.invalidRequest("Account already exists", name: XRPCErrorName.alreadyExists)
            }
            broughtDID = did
        }

        let created = try await provisioner.createIdentityAndRepo(
            handle: handle, broughtDID: broughtDID, recoveryKey: input.recoveryKey)
        let did = created.did
        do {
            let access = try tokens.createAccessToken(did: did, scope: .access)
            let refresh = try tokens.createRefreshToken(did: did)
            let passwordScrypt = try await Password.offloaded { try Password.hash(password) }
            try await serviceDB.createAccount(
                .init(
                    did: did, handle: handle, email: email, passwordScrypt: passwordScrypt,
                    repoCID: created.repo.cid, repoRev: created.repo.rev,
                    inviteCode: invites.required ? inviteCode : nil,
                    deactivatedDeleteAfter: broughtDID == nil ? nil : Date().addingTimeInterval(3 * 24 * 3600)),
                refreshToken: .init(id: refresh.id, expiresAt: refresh.expiresAt))
            if let keyName = created.reservedKeyName {
                try? await actorStore.clearReservedKeypair(keyName, did: did)
            }
            // `#identity`, `#account`, `#commit` and `#sync` in one transaction; none for an account created
            // deactivated (migration or bring-your-own DID), as the reference does.
            if broughtDID == nil {
                _ = try await sequencer.sequenceAccountCreation(did: did, handle: handle, commit: created.repo)
            }
            return CreateAccountOutput(
                handle: handle.rawValue, did: did.rawValue, didDoc: created.didDoc, accessJwt: access,
                refreshJwt: refresh.token)
        } catch ServiceDBError.accountExists {
            // Another request created this DID's account concurrently: its rows and store are not ours to undo.
            throw XRPCError.invalidRequest("Account already exists", name: XRPCErrorName.alreadyExists)
        } catch {
            await provisioner.rollBackAccountCreation(did: did, createdDID: broughtDID == nil, logger: logger)
            throw error
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
