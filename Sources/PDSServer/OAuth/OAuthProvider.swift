import ATCore
import Crypto
import Foundation
import ServiceDB

/// The authorization server's flows (atproto.com/specs/oauth): pushed authorization requests, the sign-in and
/// consent decisions of the authorization pages, and the token endpoint's grants. Storage is `account.sqlite`'s
/// reference tables; the HTTP side is ``OAuthRoutes``.
package struct OAuthProvider: Sendable {
    /// The issuer: the PDS's public URL.
    let issuer: String
    /// The PDS's DID: the access tokens' audience.
    let serviceDID: String
    let secret: SymmetricKey
    let serviceDB: ServiceDB
    let passwords: PasswordVerifier
    let clients: OAuthClientStore
    /// The first-party clients (`PDS_OAUTH_TRUSTED_CLIENTS`), whose sessions last longer.
    let trustedClients: Set<String>
    /// Checks `private_key_jwt` clients' assertions.
    let assertions: ClientAssertionVerifier
    /// Resolves `include:` permission sets; `nil` refuses them.
    let lexicons: OAuthPermissionSets?
    let now: @Sendable () -> Date

    /// PAR requests live 5 minutes; an issued code 1 minute; access tokens 60 minutes.
    static let requestLifetime: TimeInterval = 300
    static let codeLifetime: TimeInterval = 60
    static let accessLifetime: TimeInterval = 3600
    /// A public client's session ends 2 weeks after sign-in, or after 2 weeks without a refresh.
    static let sessionLifetime: TimeInterval = 14 * 86400
    static let refreshInactivity: TimeInterval = 14 * 86400
    /// A trusted (first-party) client's session, as the reference: 2 years, or 3 months without a refresh.
    static let trustedSessionLifetime: TimeInterval = 2 * 365 * 86400
    static let trustedRefreshInactivity: TimeInterval = 90 * 86400
    /// How long a sign-in on a device counts without asking for the password again.
    static let authenticationMaxAge: TimeInterval = 7 * 86400

    /// Creates the provider.
    package init(
        issuer: String, serviceDID: String, jwtSecret: String, serviceDB: ServiceDB, passwords: PasswordVerifier,
        clients: OAuthClientStore, trustedClients: Set<String> = [], assertionReplay: ReplayCache = ReplayCache(),
        permissionSets: OAuthPermissionSets? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.trustedClients = trustedClients
        self.lexicons = permissionSets
        self.assertions = ClientAssertionVerifier(issuer: issuer, replay: assertionReplay)
        self.issuer = issuer
        self.serviceDID = serviceDID
        self.secret = SymmetricKey(data: Array(jwtSecret.utf8))
        self.serviceDB = serviceDB
        self.passwords = passwords
        self.clients = clients
        self.now = now
    }

    /// How long a session of `clientID` lasts: its whole life, and the longest it may go without a refresh. Trusted
    /// and confidential clients (`clientAuth` not `none`) get the longer lifetimes, as the reference.
    func lifetimes(clientID: String, clientAuth: String) -> (session: TimeInterval, inactivity: TimeInterval) {
        trustedClients.contains(clientID) || Self.authMethod(clientAuth) != "none"
            ? (Self.trustedSessionLifetime, Self.trustedRefreshInactivity)
            : (Self.sessionLifetime, Self.refreshInactivity)
    }

    static let publicClientAuth = #"{"method":"none"}"#

    // MARK: - PAR

    /// Stores a pushed authorization request.
    /// - Parameters:
    ///   - form: the request body.
    ///   - proof: the request's DPoP proof, if it carried one (it binds the request's key).
    /// - Returns: the `request_uri` and its lifetime in seconds.
    package func pushAuthorizationRequest(form: [String: String], proof: DPoPVerifier.Proof?) async throws
        -> (requestURI: String, expiresIn: Int)
    {
        guard let clientID = form["client_id"] else { throw OAuthError.invalidRequest("client_id is required") }
        let client = try await clients.metadata(clientID: clientID)
        let clientAuth = try await authenticateClient(client, form: form)
        var parameters = try OAuthRequestParameters(form: form, client: client)
        _ = try await permissionSets(scope: parameters.scope)
        if let proof {
            if let bound = parameters.dpop_jkt, bound != proof.jkt {
                throw OAuthError.invalidRequest("dpop_jkt does not match the DPoP proof's key")
            }
            parameters.dpop_jkt = proof.jkt
        }
        let id = OAuthIdentifier.requestID()
        try await serviceDB.insertOAuthRequest(
            .init(
                id: id, clientId: clientID, clientAuth: clientAuth, parameters: try parameters.json(),
                expiresAt: now().addingTimeInterval(Self.requestLifetime)),
            now: now())
        return (OAuthIdentifier.requestURIPrefix + id, Int(Self.requestLifetime) - 1)
    }

    /// A pending request, ready for the authorization pages.
    package struct PendingRequest: Sendable {
        package var id: String
        package var parameters: OAuthRequestParameters
        package var client: OAuthClientMetadata
        package var record: ServiceDB.OAuthRequestRecord
    }

    /// The pending request `requestURI` names for `clientID`.
    /// - Throws: ``OAuthError/invalidRequest(_:)`` when it is unknown, expired, already answered or another client's.
    package func pendingRequest(requestURI: String, clientID: String?) async throws -> PendingRequest {
        guard requestURI.hasPrefix(OAuthIdentifier.requestURIPrefix) else {
            throw OAuthError.invalidRequest("Invalid request_uri")
        }
        let id = String(requestURI.dropFirst(OAuthIdentifier.requestURIPrefix.count))
        guard let record = try await serviceDB.oauthRequest(id: id), record.code == nil else {
            throw OAuthError.invalidRequest("Unknown or already used request_uri")
        }
        guard record.expiresAt > now() else {
            try await serviceDB.deleteOAuthRequest(id: id)
            throw OAuthError.invalidRequest("This sign-in request has expired; start again from the app")
        }
        if let clientID, clientID != record.clientId { throw OAuthError.invalidRequest("client_id mismatch") }
        let parameters = try OAuthRequestParameters.decode(record.parameters)
        let client = try await clients.metadata(clientID: record.clientId)
        return PendingRequest(id: id, parameters: parameters, client: client, record: record)
    }

    // MARK: - Sign-in and consent

    /// Why a sign-in was refused, in words the page shows.
    package enum SignInFailure: Error, Equatable {
        /// Unknown account or wrong password: the same answer for both.
        case invalidCredentials(appPasswordHint: Bool)
        /// The account has been taken down.
        case takendown
    }

    /// The shortest time a sign-in attempt takes (as `createSession`), so that unknown accounts and wrong passwords
    /// cannot be told apart by timing.
    static let minimumSignInDuration: Duration = .milliseconds(350)

    /// Checks a handle-or-email and the account's main password; app passwords are not accepted here.
    /// - Returns: the account.
    package func signIn(identifier: String, password: String) async throws -> Result<AccountRecord, SignInFailure> {
        let deadline = ContinuousClock.now.advanced(by: Self.minimumSignInDuration)
        let result = try await checkCredentials(identifier: identifier, password: password)
        try? await Task.sleep(until: deadline)
        return result
    }

    private func checkCredentials(identifier: String, password: String) async throws -> Result<
        AccountRecord, SignInFailure
    > {
        let invalid = SignInFailure.invalidCredentials(appPasswordHint: ServiceDB.looksLikeAppPassword(password))
        let normalized = ComAtprotoServer.normalizedIdentifier(identifier)
        guard password.count <= 512, !normalized.isEmpty,
            let account = try await serviceDB.account(identifier: normalized), let stored = account.passwordScrypt
        else { return .failure(invalid) }
        guard try await passwords.verify(password, stored: stored) else { return .failure(invalid) }
        if account.takedownRef != nil { return .failure(.takendown) }
        return .success(account)
    }

    /// Records a successful sign-in of `did` on the device, and on the request.
    package func recordSignIn(did: DID, deviceID: String) async throws {
        try await serviceDB.upsertAccountDevice(did: did.rawValue, deviceId: deviceID, now: now())
    }

    /// The account signed in on the device within ``authenticationMaxAge``, preferring `hint` (a handle or DID).
    package func signedInAccount(deviceID: String, hint: String? = nil) async throws -> AccountRecord? {
        var candidates: [AccountRecord] = []
        for did in try await serviceDB.accountsOnDevice(deviceId: deviceID) {
            guard let parsed = try? DID(did),
                let at = try await serviceDB.accountDeviceSignIn(did: did, deviceId: deviceID),
                now().timeIntervalSince(at) < Self.authenticationMaxAge,
                let account = try await serviceDB.account(did: parsed), account.takedownRef == nil
            else { continue }
            candidates.append(account)
        }
        if let hint = hint?.lowercased(),
            let match = candidates.first(where: { $0.did.rawValue == hint || $0.handle?.rawValue == hint })
        {
            return match
        }
        return candidates.first
    }

    /// Whether `did` is signed in on the device (recently enough to approve a request).
    package func isSignedIn(did: DID, deviceID: String) async throws -> Bool {
        guard let at = try await serviceDB.accountDeviceSignIn(did: did.rawValue, deviceId: deviceID) else {
            return false
        }
        return now().timeIntervalSince(at) < Self.authenticationMaxAge
    }

    /// The scopes `did` has already approved for `clientID` (the `authorized_client` row's `authorizedScopes`).
    func authorizedScopes(did: DID, clientID: String) async throws -> Set<String> {
        guard let data = try await serviceDB.authorizedClientData(did: did.rawValue, clientId: clientID),
            let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
            let scopes = object["authorizedScopes"] as? [String]
        else { return [] }
        return Set(scopes)
    }

    /// Approves a request for `did`: issues the code, remembers the approved scopes (added to those approved
    /// before) and answers with the response to the client.
    package func approve(_ request: PendingRequest, did: DID, deviceID: String) async throws
        -> OAuthAuthorizationAnswer
    {
        let code = OAuthIdentifier.code()
        try await serviceDB.completeOAuthRequest(
            id: request.id, did: did.rawValue, deviceId: deviceID, code: code,
            expiresAt: now().addingTimeInterval(Self.codeLifetime))
        let scopes = try await authorizedScopes(did: did, clientID: request.record.clientId)
            .union(request.parameters.scope.split(separator: " ").map(String.init))
        let data = try JSONSerialization.data(
            withJSONObject: ["authorizedScopes": scopes.sorted()], options: [.sortedKeys])
        try await serviceDB.upsertAuthorizedClient(
            did: did.rawValue, clientId: request.record.clientId, data: String(decoding: data, as: UTF8.self),
            now: now())
        return OAuthAuthorizationAnswer(
            parameters: request.parameters,
            items: [.init(name: "iss", value: issuer), .init(name: "code", value: code)])
    }

    /// Refuses a request: deletes it and answers with the `access_denied` error.
    package func deny(_ request: PendingRequest) async throws -> OAuthAuthorizationAnswer {
        try await refuse(request, code: "access_denied", description: "The user refused the request")
    }

    /// Ends a request with an error for the client (`access_denied`, `login_required`, …): deletes it and answers
    /// with the error response.
    package func refuse(_ request: PendingRequest, code: String, description: String) async throws
        -> OAuthAuthorizationAnswer
    {
        try await serviceDB.deleteOAuthRequest(id: request.id)
        return OAuthAuthorizationAnswer(
            parameters: request.parameters,
            items: [
                .init(name: "iss", value: issuer), .init(name: "error", value: code),
                .init(name: "error_description", value: description),
            ])
    }
}
