import ATCore
import Foundation
import Hummingbird
import Identity
import ServiceDB

extension ComAtprotoServer {
    /// Input of `com.atproto.server.createSession`.
    struct CreateSessionInput: Decodable {
        var identifier: String
        var password: String
        var authFactorToken: String?
        var allowTakendown: Bool?
    }

    /// Output of `createSession` and `refreshSession`.
    struct SessionOutput: ResponseEncodable {
        var accessJwt: String
        var refreshJwt: String
        var handle: String
        var did: String
        var didDoc: DIDDocument?
        var email: String?
        var emailConfirmed: Bool?
        var active: Bool
        var status: String?
    }

    /// `com.atproto.server.createSession`: logs in with a handle, email or DID and the main password or an app
    /// password. Unknown accounts and wrong passwords get the same 401.
    ///
    /// Every attempt is counted against the `identifier-ip` limits (30 per 5 minutes, 300 per day) before the password
    /// is checked, so a guesser gets at most that many scrypt verifications.
    /// - Parameters:
    ///   - request: the request.
    ///   - rateLimit: the request's rate-limit scope (`nil` when rate limits are off or bypassed).
    func createSession(_ request: Request, rateLimit: RateLimitScope?) async throws -> SessionOutput {
        let input = try await XRPCBody.decode(CreateSessionInput.self, from: request)
        try rateLimit?.consume(subject: Self.normalizedIdentifier(input.identifier))
        // As the reference does, every login attempt takes at least this long, so that unknown accounts and wrong
        // passwords can not be told apart by timing.
        let deadline = ContinuousClock.now.advanced(by: Self.minimumLoginDuration)
        do {
            let output = try await login(input)
            try? await Task.sleep(until: deadline)
            return output
        } catch {
            try? await Task.sleep(until: deadline)
            throw error
        }
    }

    /// The shortest time a `createSession` call takes (the reference pads logins to 350 ms).
    static let minimumLoginDuration: Duration = .milliseconds(350)

    private func login(_ input: CreateSessionInput) async throws -> SessionOutput {
        let invalid = XRPCError.authRequired("Invalid identifier or password")
        guard input.password.count <= 512 else { throw invalid }
        let identifier = Self.normalizedIdentifier(input.identifier)
        guard let account = try await serviceDB.account(identifier: identifier),
            let stored = account.passwordScrypt
        else { throw invalid }

        var appPassword: ServiceDB.AppPasswordRecord?
        let password = input.password
        if try await !passwords.verify(password, stored: stored) {
            guard ServiceDB.looksLikeAppPassword(input.password),
                let found = try await serviceDB.verifyAppPassword(did: account.did, password: input.password)
            else { throw invalid }
            appPassword = found
        }

        let takendown = account.takedownRef != nil
        if takendown && input.allowTakendown != true {
            throw XRPCError.authRequired("Account has been taken down", name: XRPCErrorName.accountTakedown)
        }
        let scope: SessionTokens.Scope =
            takendown ? .takendown
            : appPassword.map { $0.privileged ? .appPassPrivileged : .appPass } ?? .access
        let access = try tokens.createAccessToken(did: account.did, scope: scope)
        let refresh = try tokens.createRefreshToken(did: account.did)
        // A taken-down session can not be refreshed: its refresh token is not stored.
        if !takendown {
            try await serviceDB.storeRefreshToken(
                .init(id: refresh.id, expiresAt: refresh.expiresAt, appPasswordName: appPassword?.name),
                did: account.did)
        }
        return try await sessionOutput(account: account, accessJwt: access, refreshJwt: refresh.token)
    }

    /// A login identifier as accounts are looked up by it (and as its rate limit counts it): trimmed, lower-cased.
    static func normalizedIdentifier(_ identifier: String) -> String {
        identifier.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Builds a session output for `account` (with `didDoc` when `PDS_ENABLE_DID_DOC_WITH_SESSION`).
    func sessionOutput(account: AccountRecord, accessJwt: String, refreshJwt: String) async throws -> SessionOutput {
        let didDoc =
            identity.enableDIDDocWithSession ? try? await didDocuments.document(account.did) : nil
        return SessionOutput(
            accessJwt: accessJwt, refreshJwt: refreshJwt, handle: (account.handle ?? Handle.invalid).rawValue,
            did: account.did.rawValue, didDoc: didDoc, email: account.email,
            emailConfirmed: account.email == nil ? nil : account.emailConfirmedAt != nil,
            active: account.status == .active, status: account.status == .active ? nil : account.status.rawValue)
    }
}
