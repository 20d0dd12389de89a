import ATCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PDSTestSupport
import ServiceDB
import Synchronization
import Testing

@testable import PDSServer

/// The provider's flows against a real `account.sqlite`, with a loopback client (no metadata fetch) and proofs
/// taken as already verified.
@Suite struct OAuthProviderTests {
    static let redirect = "http://127.0.0.1/callback"
    static let clientID =
        "http://localhost?redirect_uri=\(redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
        + "&scope=atproto%20repo%3Aapp.bsky.feed.post"
    static let verifier = String(repeating: "v", count: 64)
    static var challenge: String { Base64.encodeURL(Array(SHA256.hash(data: Array(verifier.utf8)))) }
    static let proof = DPoPVerifier.Proof(
        jkt: "key-thumbprint", jti: "j", htm: "POST", htu: "http://localhost/oauth/token")

    /// PAR, sign-in and approval for the account: the code.
    static func authorize(_ provider: OAuthProvider, did: DID, scope: String = "atproto repo:app.bsky.feed.post")
        async throws -> String
    {
        let (uri, expiresIn) = try await provider.pushAuthorizationRequest(
            form: [
                "client_id": clientID, "response_type": "code", "redirect_uri": redirect, "scope": scope,
                "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256",
            ], proof: nil)
        #expect(expiresIn == 299)
        let pending = try await provider.pendingRequest(requestURI: uri, clientID: clientID)
        try await provider.recordSignIn(did: did, deviceID: "dev-test")
        let location = try await provider.approve(pending, did: did, deviceID: "dev-test").location
        let items = URLComponents(string: location)?.queryItems ?? []
        #expect(items.first { $0.name == "state" }?.value == "s1")
        #expect(items.first { $0.name == "iss" }?.value == provider.issuer)
        return try #require(items.first { $0.name == "code" }?.value)
    }

    static func withProvider(_ body: @escaping @Sendable (PDSServices, DID) async throws -> Void) async throws {
        try await TestApplication.withAccount { _, services, _, session in
            try await services.serviceDB.insertOAuthDevice(
                id: "dev-test", sessionId: "ses-test", userAgent: nil, ipAddress: "127.0.0.1")
            try await body(services, try DID(session.did))
        }
    }

    @Test func codeExchangeRefreshAndReplay() async throws {
        try await Self.withProvider { services, did in
            let provider = services.oauthProvider
            let code = try await Self.authorize(provider, did: did)
            let form = [
                "code": code, "code_verifier": Self.verifier, "client_id": Self.clientID, "redirect_uri": Self.redirect,
            ]
            let tokens = try await provider.exchangeCode(form: form, proof: Self.proof)
            #expect(
                tokens.sub == did.rawValue && tokens.token_type == "DPoP"
                    && tokens.scope == "atproto repo:app.bsky.feed.post")
            let access = try await provider.verifyAccess(token: tokens.access_token, proof: Self.proof)
            #expect(
                access.did == did && access.permissions.allowsRepo(collection: "app.bsky.feed.post", action: .create))
            // Another key cannot use the token.
            var other = Self.proof
            other.jkt = "another"
            await #expect(throws: OAuthError.invalidToken("DPoP key mismatch")) {
                try await provider.verifyAccess(token: tokens.access_token, proof: other)
            }

            let refresh = ["refresh_token": tokens.refresh_token, "client_id": Self.clientID]
            let rotated = try await provider.refresh(form: refresh, proof: Self.proof)
            #expect(rotated.refresh_token != tokens.refresh_token)
            await #expect(throws: OAuthError.invalidToken("Token revoked")) {
                try await provider.verifyAccess(token: tokens.access_token, proof: Self.proof)
            }
            _ = try await provider.verifyAccess(token: rotated.access_token, proof: Self.proof)
            // The first refresh token again: a replay, which ends the session.
            await #expect(throws: OAuthError.invalidGrant("Refresh token replayed: the session has been revoked")) {
                try await provider.refresh(form: refresh, proof: Self.proof)
            }
            await #expect(throws: OAuthError.invalidToken("Token revoked")) {
                try await provider.verifyAccess(token: rotated.access_token, proof: Self.proof)
            }
            #expect(try await services.serviceDB.oauthTokens(did: did.rawValue).isEmpty)
        }
    }

    /// A PAR for the loopback client with `extra` parameters: the pending request.
    static func pending(_ provider: OAuthProvider, scope: String, extra: [String: String]) async throws
        -> OAuthProvider.PendingRequest
    {
        let form = [
            "client_id": clientID, "response_type": "code", "redirect_uri": redirect, "scope": scope,
            "code_challenge": challenge, "code_challenge_method": "S256",
        ].merging(extra) { $1 }
        let (uri, _) = try await provider.pushAuthorizationRequest(form: form, proof: nil)
        return try await provider.pendingRequest(requestURI: uri, clientID: clientID)
    }

    @Test func rememberedConsentSkipsThePagesForTheSameOrNarrowerScopes() async throws {
        try await Self.withProvider { services, did in
            let provider = services.oauthProvider
            func silent(_ scope: String, _ extra: [String: String]) async throws -> DID? {
                try await provider.silentApproval(
                    try await Self.pending(provider, scope: scope, extra: extra), deviceID: "dev-test")
            }
            let hint = ["login_hint": did.rawValue]
            try await provider.recordSignIn(did: did, deviceID: "dev-test")
            // Not approved yet: consent is asked.
            #expect(try await silent("atproto", hint) == nil)
            _ = try await Self.authorize(provider, did: did, scope: "atproto repo:app.bsky.feed.post")
            #expect(try await silent("atproto repo:app.bsky.feed.post", hint) == did)
            #expect(try await silent("atproto", hint) == did)
            // Without naming the account, or with a prompt, the pages are shown as before.
            #expect(try await silent("atproto", [:]) == nil)
            #expect(try await silent("atproto", hint.merging(["prompt": "consent"]) { $1 }) == nil)
            #expect(try await silent("atproto", ["login_hint": "did:plc:someoneelse"]) == nil)
            // Another device is not signed in.
            let pending = try await Self.pending(provider, scope: "atproto", extra: hint)
            #expect(try await provider.silentApproval(pending, deviceID: "dev-other") == nil)
        }
    }

    /// `prompt=none` answers without pages: `login_required` with no session, `consent_required` before the first
    /// approval, the code after it; `prompt=select_account` with no account signed in is refused too.
    @Test func promptNoneAnswersWithoutPages() async throws {
        try await Self.withProvider { services, did in
            let provider = services.oauthProvider
            func decide(_ scope: String, _ extra: [String: String], device: String = "dev-test") async throws
                -> OAuthProvider.AutomaticDecision
            {
                try await provider.automaticDecision(
                    try await Self.pending(provider, scope: scope, extra: extra), deviceID: device)
            }
            let none = ["prompt": "none"]
            #expect(
                try await decide("atproto", none)
                    == .refuse(code: "login_required", description: "The user must sign in"))
            #expect(
                try await decide("atproto", ["prompt": "select_account"])
                    == .refuse(code: "account_selection_required", description: "No account is signed in to select"))
            try await provider.recordSignIn(did: did, deviceID: "dev-test")
            #expect(
                try await decide("atproto", none)
                    == .refuse(code: "consent_required", description: "The user must approve the request"))
            _ = try await Self.authorize(provider, did: did, scope: "atproto")
            #expect(try await decide("atproto", none) == .approve(did))
            // Another account named: no session for it.
            #expect(
                try await decide("atproto", none.merging(["login_hint": "did:plc:someoneelse"]) { $1 })
                    == .refuse(code: "login_required", description: "The user must sign in"))
            #expect(try await decide("atproto", ["prompt": "login", "login_hint": did.rawValue]) == .showPages)
            #expect(try await decide("atproto", ["prompt": "consent", "login_hint": did.rawValue]) == .showPages)

            // The refusal ends the request and goes back to the client, in the requested response mode.
            let pending = try await Self.pending(provider, scope: "atproto", extra: ["response_mode": "form_post"])
            let answer = try await provider.refuse(pending, code: "login_required", description: "x")
            #expect(answer.postedItems.map(\.name) == ["iss", "error", "error_description"])
            let response = answer.response()
            #expect(response.status == .ok)
            #expect(
                response.headers[.contentSecurityPolicy]?.contains(OAuthAuthorizationAnswer.submitScriptHash) == true)
            await #expect(throws: OAuthError.self) {
                try await provider.pendingRequest(
                    requestURI: OAuthIdentifier.requestURIPrefix + pending.id, clientID: nil)
            }
        }
    }

    /// A refresh three weeks after sign-in: past a public client's 2-week inactivity limit, within a trusted
    /// client's 3 months (`PDS_OAUTH_TRUSTED_CLIENTS`).
    @Test(arguments: [false, true]) func trustedClientsKeepTheirSessionsLonger(trusted: Bool) async throws {
        let offset = Mutex<TimeInterval>(0)
        let environment = trusted ? ["PDS_OAUTH_TRUSTED_CLIENTS": Self.clientID] : [:]
        try await TestApplication.withAccount(environment, now: { Date().addingTimeInterval(offset.withLock { $0 }) }) {
            _, services, _, session in
            let did = try DID(session.did)
            try await services.serviceDB.insertOAuthDevice(
                id: "dev-test", sessionId: "ses-test", userAgent: nil, ipAddress: "127.0.0.1")
            let provider = services.oauthProvider
            let code = try await Self.authorize(provider, did: did)
            let tokens = try await provider.exchangeCode(
                form: ["code": code, "code_verifier": Self.verifier, "client_id": Self.clientID], proof: Self.proof)
            offset.withLock { $0 = 21 * 86400 }
            let refresh = ["refresh_token": tokens.refresh_token, "client_id": Self.clientID]
            if trusted {
                let rotated = try await provider.refresh(form: refresh, proof: Self.proof)
                _ = try await provider.verifyAccess(token: rotated.access_token, proof: Self.proof)
            } else {
                await #expect(throws: OAuthError.invalidGrant("The session has expired")) {
                    try await provider.refresh(form: refresh, proof: Self.proof)
                }
            }
        }
    }

    @Test func codeRefusals() async throws {
        try await Self.withProvider { services, did in
            let provider = services.oauthProvider
            let code = try await Self.authorize(provider, did: did)
            var form = ["code": code, "code_verifier": Self.verifier + "x", "client_id": Self.clientID]
            await #expect(throws: OAuthError.invalidGrant("Invalid code_verifier")) {
                try await provider.exchangeCode(form: form, proof: Self.proof)
            }
            form["code_verifier"] = Self.verifier
            await #expect(throws: OAuthError.invalidGrant("Invalid code")) {
                try await provider.exchangeCode(form: form, proof: Self.proof)
            }
            // A used code presented again revokes the session it produced.
            let second = try await Self.authorize(provider, did: did)
            form["code"] = second
            let tokens = try await provider.exchangeCode(form: form, proof: Self.proof)
            await #expect(throws: OAuthError.invalidGrant("Code replayed: the session it produced has been revoked")) {
                try await provider.exchangeCode(form: form, proof: Self.proof)
            }
            await #expect(throws: OAuthError.invalidToken("Token revoked")) {
                try await provider.verifyAccess(token: tokens.access_token, proof: Self.proof)
            }
        }
    }

    @Test func parRefusals() async throws {
        try await Self.withProvider { services, _ in
            let provider = services.oauthProvider
            let base = [
                "client_id": Self.clientID, "response_type": "code", "redirect_uri": Self.redirect, "scope": "atproto",
                "code_challenge": Self.challenge, "code_challenge_method": "S256",
            ]
            for (key, value, expected) in [
                ("scope", "atproto transition:generic", "invalid_scope"),
                ("scope", "repo:app.bsky.feed.post", "invalid_scope"),
                ("redirect_uri", "https://evil.example/cb", "invalid_redirect_uri"),
                ("code_challenge_method", "plain", "invalid_request"), ("response_type", "token", "invalid_request"),
                ("client_id", "http://localhost:8080", "invalid_client"),
                ("client_id", "https://example.com", "invalid_client"),
            ] {
                var form = base
                form[key] = value
                do {
                    _ = try await provider.pushAuthorizationRequest(form: form, proof: nil)
                    Issue.record("\(key)=\(value) was accepted")
                } catch let error as OAuthError {
                    #expect(error.code == expected, "\(key)=\(value): \(error)")
                }
            }
            // A loopback redirect on another port is the same registered URI (RFC 8252 §7.3).
            var form = base
            form["redirect_uri"] = "http://127.0.0.1:53123/callback"
            _ = try await provider.pushAuthorizationRequest(form: form, proof: nil)
        }
    }

    @Test func signInRefusesAppPasswordsAndWrongPasswordsAlike() async throws {
        try await Self.withProvider { services, did in
            let provider = services.oauthProvider
            let account = try #require(try await services.serviceDB.account(did: did))
            let handle = try #require(account.handle?.rawValue)
            guard
                case .success(let found) = try await provider.signIn(
                    identifier: handle.uppercased(), password: "password-123")
            else { Issue.record("the main password was refused"); return }
            #expect(found.did == did)
            guard
                case .success = try await provider.signIn(identifier: "\(handle)@example.com", password: "password-123")
            else { Issue.record("sign-in by email was refused"); return }
            let wrong = try await provider.signIn(identifier: handle, password: "wrong")
            let unknown = try await provider.signIn(identifier: "nobody.test", password: "password-123")
            #expect(wrong == .failure(.invalidCredentials(appPasswordHint: false)))
            #expect(unknown == .failure(.invalidCredentials(appPasswordHint: false)))
        }
    }
}
