import ATCore
import Foundation
import ServiceDB

extension OAuthProvider {
    /// The token endpoint's answer (RFC 6749 §5.1, with atproto's `sub`).
    package struct TokenResponse: Codable, Sendable, Equatable {
        package var access_token: String
        package var token_type: String
        package var expires_in: Int
        package var refresh_token: String
        package var scope: String
        package var sub: String
    }

    /// `grant_type=authorization_code`: exchanges a code for tokens bound to the proof's key. A code is good once;
    /// presenting it again revokes the session it produced.
    /// - Parameters:
    ///   - form: the request body (`code`, `code_verifier`, `redirect_uri`, `client_id`).
    ///   - proof: the request's verified DPoP proof.
    package func exchangeCode(form: [String: String], proof: DPoPVerifier.Proof) async throws -> TokenResponse {
        guard let code = form["code"], let verifier = form["code_verifier"], let clientID = form["client_id"] else {
            throw OAuthError.invalidRequest("code, code_verifier and client_id are required")
        }
        let clientAuth = try await authenticateClient(try await clients.metadata(clientID: clientID), form: form)
        guard let request = try await serviceDB.consumeOAuthCode(code) else {
            if try await serviceDB.revokeOAuthToken(code: code) {
                throw OAuthError.invalidGrant("Code replayed: the session it produced has been revoked")
            }
            throw OAuthError.invalidGrant("Invalid code")
        }
        guard request.expiresAt > now() else { throw OAuthError.invalidGrant("Code expired") }
        guard request.clientId == clientID else {
            throw OAuthError.invalidGrant("The code was issued to another client")
        }
        guard Self.sameClientAuth(request.clientAuth, clientAuth) else {
            throw OAuthError.invalidGrant("The client authenticated otherwise when it requested the code")
        }
        var parameters = try OAuthRequestParameters.decode(request.parameters)
        if let redirect = form["redirect_uri"], redirect != parameters.redirect_uri {
            throw OAuthError.invalidGrant("redirect_uri mismatch")
        }
        guard PKCE.verify(verifier: verifier, challenge: parameters.code_challenge) else {
            throw OAuthError.invalidGrant("Invalid code_verifier")
        }
        if let bound = parameters.dpop_jkt, bound != proof.jkt {
            throw OAuthError.invalidGrant("DPoP key mismatch: the request was bound to another key")
        }
        parameters.dpop_jkt = proof.jkt
        guard let did = request.did.flatMap({ try? DID($0) }) else {
            throw OAuthError.invalidGrant("The code was not approved")
        }
        let scope = try await tokenScope(parameters.scope)
        let tokenID = OAuthIdentifier.tokenID()
        let refresh = OAuthIdentifier.refreshToken()
        let expiresAt = now().addingTimeInterval(Self.accessLifetime)
        try await serviceDB.insertOAuthToken(
            .init(
                did: did.rawValue, tokenId: tokenID, refreshToken: refresh, expiresAt: expiresAt, clientId: clientID,
                clientAuth: clientAuth, deviceId: request.deviceId, parameters: try parameters.json(),
                code: code, scope: scope),
            now: now())
        return try tokenResponse(
            did: did, tokenID: tokenID, refresh: refresh, clientID: clientID, scope: scope, jkt: proof.jkt,
            expiresAt: expiresAt)
    }

    /// `grant_type=refresh_token`: rotates the session's tokens. A refresh token is good once: presenting a used
    /// one revokes the whole session.
    package func refresh(form: [String: String], proof: DPoPVerifier.Proof) async throws -> TokenResponse {
        guard let presented = form["refresh_token"], let clientID = form["client_id"] else {
            throw OAuthError.invalidRequest("refresh_token and client_id are required")
        }
        let clientAuth = try await authenticateClient(try await clients.metadata(clientID: clientID), form: form)
        let token: ServiceDB.OAuthTokenRecord
        switch try await serviceDB.lookUpOAuthRefreshToken(presented) {
        case .unknown: throw OAuthError.invalidGrant("Invalid refresh token")
        case .replayed: throw OAuthError.invalidGrant("Refresh token replayed: the session has been revoked")
        case .current(let found): token = found
        }
        guard token.clientId == clientID else {
            throw OAuthError.invalidGrant("The refresh token belongs to another client")
        }
        guard Self.sameClientAuth(token.clientAuth, clientAuth) else {
            throw OAuthError.invalidGrant("The session is bound to another client authentication")
        }
        let parameters = try OAuthRequestParameters.decode(token.parameters)
        guard parameters.dpop_jkt == proof.jkt else { throw OAuthError.invalidGrant("DPoP key mismatch") }
        let current = now()
        let lifetimes = lifetimes(clientID: clientID, clientAuth: token.clientAuth)
        guard current.timeIntervalSince(token.createdAt) < lifetimes.session,
            current.timeIntervalSince(token.updatedAt) < lifetimes.inactivity
        else {
            _ = try await serviceDB.revokeOAuthToken(id: token.id, did: token.did)
            throw OAuthError.invalidGrant("The session has expired")
        }
        guard let did = try? DID(token.did), let account = try await serviceDB.account(did: did),
            account.takedownRef == nil
        else { throw OAuthError.invalidGrant("The account is unavailable") }
        // Permission sets are expanded again, so that a session follows its sets' updates (a failed resolution
        // keeps the last good set: see ``OAuthPermissionSets``).
        let scope =
            OAuthPermissionSets.includes(in: parameters.scope).isEmpty
            ? token.scope ?? parameters.scope : try await tokenScope(parameters.scope)
        let tokenID = OAuthIdentifier.tokenID()
        let refresh = OAuthIdentifier.refreshToken()
        let expiresAt = current.addingTimeInterval(Self.accessLifetime)
        guard
            try await serviceDB.rotateOAuthToken(
                id: token.id, previousRefreshToken: presented, newTokenId: tokenID, newRefreshToken: refresh,
                expiresAt: expiresAt, scope: scope, now: current)
        else { throw OAuthError.invalidGrant("Refresh token already used") }
        return try tokenResponse(
            did: did, tokenID: tokenID, refresh: refresh, clientID: clientID, scope: scope, jkt: proof.jkt,
            expiresAt: expiresAt)
    }

    private func tokenResponse(
        did: DID, tokenID: String, refresh: String, clientID: String, scope: String, jkt: String, expiresAt: Date
    ) throws -> TokenResponse {
        let iat = Int(now().timeIntervalSince1970)
        let access = OAuthAccessToken(
            iss: issuer, aud: serviceDID, sub: did.rawValue, iat: iat, exp: Int(expiresAt.timeIntervalSince1970),
            jti: tokenID, cnf: .init(jkt: jkt), client_id: clientID, scope: scope)
        return TokenResponse(
            access_token: try access.sign(secret: secret), token_type: "DPoP", expires_in: Int(Self.accessLifetime),
            refresh_token: refresh, scope: scope, sub: did.rawValue)
    }

    // MARK: - Revocation and introspection

    /// `/oauth/revoke` (RFC 7009): ends the session an access or refresh token belongs to. Unknown tokens are not
    /// an error. A request naming its `client_id` authenticates as that client does at the token endpoint (a
    /// `private_key_jwt` client with an assertion).
    package func revoke(token: String, form: [String: String] = [:]) async throws {
        if let clientID = form["client_id"] {
            _ = try await authenticateClient(try await clients.metadata(clientID: clientID), form: form)
        }
        if token.hasPrefix("ref-") {
            _ = try await serviceDB.revokeOAuthToken(tokenIdOrRefreshToken: token)
        } else if let access = try? OAuthAccessToken.verify(token, secret: secret) {
            _ = try await serviceDB.revokeOAuthToken(tokenIdOrRefreshToken: access.jti)
        }
    }

    /// `/oauth/introspect` (RFC 7662): whether the token is live, and what it grants.
    package func introspect(token: String) async throws -> [String: any Sendable] {
        let inactive: [String: any Sendable] = ["active": false]
        if token.hasPrefix("ref-") {
            guard case .current(let record) = try await serviceDB.lookUpOAuthRefreshToken(token) else {
                return inactive
            }
            return [
                "active": true, "token_type": "refresh_token", "scope": record.scope ?? "",
                "client_id": record.clientId,
                "sub": record.did, "iss": issuer, "aud": serviceDID,
                "iat": Int(record.createdAt.timeIntervalSince1970),
                "exp": Int(
                    record.updatedAt.addingTimeInterval(
                        lifetimes(clientID: record.clientId, clientAuth: record.clientAuth).inactivity
                    )
                    .timeIntervalSince1970),
            ]
        }
        guard let access = try? OAuthAccessToken.verify(token, secret: secret),
            Double(access.exp) > now().timeIntervalSince1970,
            let record = try await serviceDB.oauthToken(tokenId: access.jti)
        else { return inactive }
        return [
            "active": true, "token_type": "DPoP", "scope": record.scope ?? access.scope, "client_id": record.clientId,
            "sub": record.did, "iss": issuer, "aud": access.aud, "iat": access.iat, "exp": access.exp,
            "jti": access.jti, "cnf": ["jkt": access.cnf.jkt],
        ]
    }

    // MARK: - Resource access

    /// A verified OAuth access token on an XRPC request.
    package struct ResourceAccess: Sendable {
        package var did: DID
        package var clientID: String
        package var permissions: OAuthPermissions
    }

    /// Checks an access token presented with a verified DPoP proof: signature, audience, expiry, the session still
    /// existing (revocation is immediate), the key binding, and the `atproto` scope.
    /// - Throws: ``OAuthError/invalidToken(_:)``.
    package func verifyAccess(token: String, proof: DPoPVerifier.Proof) async throws -> ResourceAccess {
        let access = try OAuthAccessToken.verify(token, secret: secret)
        guard access.aud == serviceDID else { throw OAuthError.invalidToken("Invalid audience") }
        guard Double(access.exp) > now().timeIntervalSince1970 else { throw OAuthError.invalidToken("Token expired") }
        guard access.cnf.jkt == proof.jkt else { throw OAuthError.invalidToken("DPoP key mismatch") }
        guard let record = try await serviceDB.oauthToken(tokenId: access.jti), record.did == access.sub,
            record.expiresAt > now()
        else { throw OAuthError.invalidToken("Token revoked") }
        let permissions = OAuthPermissions(scope: record.scope ?? access.scope)
        guard permissions.hasAtproto, let did = try? DID(record.did) else {
            throw OAuthError.invalidToken("The token does not grant the atproto scope")
        }
        return ResourceAccess(did: did, clientID: record.clientId, permissions: permissions)
    }
}
