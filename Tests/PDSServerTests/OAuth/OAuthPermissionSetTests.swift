import ATCore
import Foundation
import Identity
import PDSTestSupport
import ServiceDB
import Synchronization
import Testing

@testable import PDSServer

/// `include:` permission sets: parsing, namespace rules, expansion, the `lexicon` cache, and the provider's use of
/// them (PAR refusal, token scope).
@Suite struct OAuthPermissionSetTests {
    /// A permission set document for `nsid` with `permissions`.
    static func document(_ nsid: String, _ permissions: [[String: Any]], title: Bool = true) throws -> Data {
        var main: [String: Any] = ["type": "permission-set", "permissions": permissions]
        if title {
            main["title"] = "Example"
            main["title:lang"] = ["fr": "Exemple"]
            main["detail"] = "Post examples"
            main["detail:lang"] = ["fr-FR": "Publier des exemples"]
        }
        return try JSONSerialization.data(withJSONObject: ["lexicon": 1, "id": nsid, "defs": ["main": main]])
    }

    static let nsid = "com.example.perms.basic"
    static var permissions: [[String: Any]] {
        [
            ["type": "permission", "resource": "repo", "collection": ["com.example.perms.item", "com.example.perms.tag"]],
            ["type": "permission", "resource": "repo", "collection": ["app.bsky.feed.post"]],  // outside the namespace
            ["type": "permission", "resource": "repo", "collection": ["*"]],  // wildcard: refused
            ["type": "permission", "resource": "rpc", "lxm": ["com.example.perms.getItem"], "aud": "*"],
            ["type": "permission", "resource": "rpc", "lxm": ["com.example.perms.putItem"], "inheritAud": true],
            ["type": "permission", "resource": "rpc", "lxm": ["com.example.perms.x"], "aud": "did:web:a.test#svc"],
            ["type": "permission", "resource": "rpc", "lxm": ["com.example.other.getItem"], "aud": "*"],
            ["type": "permission", "resource": "blob", "accept": ["*/*"]],  // not allowed in sets
            ["type": "permission", "resource": "repo", "collection": ["com.example.perms.item"], "extra": "x"],
        ]
    }

    @Test func includeScopesParse() {
        let plain = OAuthIncludeScope("include:com.example.perms.basic")
        #expect(plain?.nsid == Self.nsid && plain?.aud == nil)
        #expect(
            OAuthIncludeScope("include:com.example.perms.basic?aud=did:web:api.test%23svc")?.aud
                == "did:web:api.test#svc")
        #expect(OAuthIncludeScope("include?nsid=com.example.perms.basic")?.nsid == Self.nsid)
        #expect(OAuthIncludeScope("include:com.example") == nil)
        #expect(OAuthIncludeScope("include:com.example.perms.basic?aud=did:web:api.test") == nil)
        #expect(OAuthIncludeScope("include:com.example.perms.basic?other=1") == nil)
        #expect(OAuthIncludeScope("repo:com.example.perms.basic") == nil)
    }

    @Test func namespaceIsTheSetsNSIDWithoutItsName() throws {
        let include = try #require(OAuthIncludeScope("include:com.example.perms.basic"))
        #expect(include.isParentAuthority(of: "com.example.perms.item"))
        #expect(include.isParentAuthority(of: "com.example.perms.deep.item"))
        #expect(!include.isParentAuthority(of: "com.example.permsx.item"))
        #expect(!include.isParentAuthority(of: "com.example.other.item"))
        #expect(!include.isParentAuthority(of: "com.example.perms."))
        #expect(!include.isParentAuthority(of: "*"))
    }

    @Test func expansionKeepsOnlyInNamespaceRepoAndRPCPermissions() throws {
        let set = try OAuthPermissionSet(nsid: Self.nsid, document: Self.document(Self.nsid, Self.permissions))
        let plain = try #require(OAuthIncludeScope("include:com.example.perms.basic"))
        #expect(
            plain.scopes(from: set) == [
                "repo?collection=com.example.perms.item&collection=com.example.perms.tag",
                "rpc?lxm=com.example.perms.getItem&aud=*",
            ])
        // With an audience, `inheritAud` permissions get it.
        let withAud = try #require(OAuthIncludeScope("include:com.example.perms.basic?aud=did:web:api.test%23svc"))
        let scopes = withAud.scopes(from: set)
        #expect(scopes.contains("rpc?lxm=com.example.perms.putItem&aud=did:web:api.test%23svc"))
        let permissions = OAuthPermissions(scope: (["atproto"] + scopes).joined(separator: " "))
        #expect(permissions.allowsRepo(collection: "com.example.perms.item", action: .create))
        #expect(!permissions.allowsRepo(collection: "app.bsky.feed.post", action: .create))
        #expect(permissions.allowsRPC(lxm: "com.example.perms.putItem", aud: "did:web:api.test#svc"))
        #expect(!permissions.allowsRPC(lxm: "com.example.perms.putItem", aud: "did:web:other.test#svc"))
        #expect(!permissions.allowsRPC(lxm: "com.example.perms.x", aud: "did:web:a.test#svc"))
        #expect(!permissions.allowsRPC(lxm: "com.example.other.getItem", aud: "did:web:a.test#svc"))
        #expect(!permissions.allowsBlob(mime: "image/png"))
    }

    @Test func documentsThatAreNotPermissionSetsAreRefused() throws {
        #expect(throws: OAuthPermissionSet.Invalid.self) {
            try OAuthPermissionSet(nsid: "com.example.perms.other", document: Self.document(Self.nsid, []))
        }
        let record = try JSONSerialization.data(withJSONObject: [
            "lexicon": 1, "id": Self.nsid, "defs": ["main": ["type": "record", "key": "tid"]],
        ])
        #expect(throws: OAuthPermissionSet.Invalid.self) {
            try OAuthPermissionSet(nsid: Self.nsid, document: record)
        }
    }

    @Test func localizedTitleAndDetailAreShown() throws {
        let set = try OAuthPermissionSet(nsid: Self.nsid, document: Self.document(Self.nsid, Self.permissions))
        #expect(set.title(languages: ["fr-CA", "en"]) == "Exemple")
        #expect(set.detail(languages: ["fr-CA"]) == "Publier des exemples")
        #expect(set.title(languages: ["de"]) == "Example")
        let languages = OAuthPermissionText.languages(acceptLanguage: "en;q=0.5, fr-FR, *;q=0.1")
        #expect(languages == ["fr-FR", "en"])
        let lines = OAuthPermissionText.describe(
            scope: "atproto include:com.example.perms.basic", sets: [Self.nsid: set], languages: languages)
        #expect(lines.last == "Exemple: Publier des exemples")
        // Without a title, the permissions it grants are listed.
        let untitled = try OAuthPermissionSet(
            nsid: Self.nsid, document: Self.document(Self.nsid, Self.permissions, title: false))
        let listed = OAuthPermissionText.describe(scope: "include:com.example.perms.basic", sets: [Self.nsid: untitled])
        #expect(
            listed.first == "Create, change, delete your records of type com.example.perms.item, com.example.perms.tag")
    }

    /// A source answering from a dictionary, counting requests.
    final class FakeSource: LexiconDocumentSource {
        let documents: Mutex<[String: Data]>
        let requests = Atomic<Int>(0)
        init(_ documents: [String: Data]) { self.documents = Mutex(documents) }
        func document(nsid: String) async throws(LexiconResolutionError) -> (uri: String, json: Data) {
            requests.add(1, ordering: .relaxed)
            guard let json = documents.withLock({ $0[nsid] }) else {
                throw LexiconResolutionError(nsid: nsid, "absent")
            }
            return ("at://did:plc:authority/com.atproto.lexicon.schema/\(nsid)", json)
        }
    }

    @Test func resolutionsAndFailuresAreCachedForTheRefreshInterval() async throws {
        try await TestApplication.withAccount { _, services, _, _ in
            let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
            let source = FakeSource([Self.nsid: try Self.document(Self.nsid, Self.permissions)])
            let sets = OAuthPermissionSets(
                serviceDB: services.serviceDB, source: source, now: { clock.withLock { $0 } })
            _ = try await sets.permissionSet(nsid: Self.nsid)
            _ = try await sets.permissionSet(nsid: Self.nsid)
            #expect(source.requests.load(ordering: .relaxed) == 1)
            let stored = try #require(try await services.serviceDB.lexicon(nsid: Self.nsid))
            #expect(stored.uri == "at://did:plc:authority/com.atproto.lexicon.schema/\(Self.nsid)")

            // A set that does not resolve: invalid_scope, and the failure is cached too.
            await #expect(throws: OAuthError.self) { try await sets.permissionSet(nsid: "com.example.perms.gone") }
            await #expect(throws: OAuthError.self) { try await sets.permissionSet(nsid: "com.example.perms.gone") }
            #expect(source.requests.load(ordering: .relaxed) == 2)

            // After the interval the set is resolved again; when that fails, the last good document is kept.
            clock.withLock { $0 += OAuthPermissionSets.refreshInterval + 1 }
            source.documents.withLock { $0 = [:] }
            let kept = try await sets.permissionSet(nsid: Self.nsid)
            #expect(kept.title == "Example")
            #expect(source.requests.load(ordering: .relaxed) == 3)
            let afterFailure = try #require(try await services.serviceDB.lexicon(nsid: Self.nsid))
            #expect(afterFailure.lastSucceededAt == stored.lastSucceededAt && afterFailure.updatedAt > stored.updatedAt)

            let scope = try await sets.tokenScope("atproto include:com.example.perms.basic transition:email")
            #expect(
                scope
                    == "atproto repo?collection=com.example.perms.item&collection=com.example.perms.tag "
                    + "rpc?lxm=com.example.perms.getItem&aud=* transition:email")
        }
    }

    @Test func parRefusesUnresolvableSetsAndTokensCarryTheExpansion() async throws {
        try await OAuthProviderTests.withProvider { services, did in
            let source = FakeSource([Self.nsid: try Self.document(Self.nsid, Self.permissions)])
            let provider = OAuthProvider(
                issuer: services.oauthProvider.issuer, serviceDID: services.oauthProvider.serviceDID,
                jwtSecret: "a-test-secret-of-at-least-32-bytes!!", serviceDB: services.serviceDB,
                passwords: services.passwordVerifier, clients: services.oauthProvider.clients,
                permissionSets: OAuthPermissionSets(serviceDB: services.serviceDB, source: source))
            let clientID =
                "http://localhost?redirect_uri=\(OAuthProviderTests.redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                + "&scope=atproto%20include%3Acom.example.perms.basic%20include%3Acom.example.perms.gone"
            func par(_ scope: String) async throws -> String {
                try await provider.pushAuthorizationRequest(
                    form: [
                        "client_id": clientID, "response_type": "code", "redirect_uri": OAuthProviderTests.redirect,
                        "scope": scope, "code_challenge": OAuthProviderTests.challenge,
                        "code_challenge_method": "S256",
                    ], proof: nil
                ).requestURI
            }
            await #expect {
                _ = try await par("atproto include:com.example.perms.gone")
            } throws: { error in
                (error as? OAuthError)?.code == "invalid_scope"
            }
            let uri = try await par("atproto include:com.example.perms.basic")
            let pending = try await provider.pendingRequest(requestURI: uri, clientID: clientID)
            try await provider.recordSignIn(did: did, deviceID: "dev-test")
            let location = try await provider.approve(pending, did: did, deviceID: "dev-test").location
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await provider.exchangeCode(
                form: [
                    "code": code, "code_verifier": OAuthProviderTests.verifier, "client_id": clientID,
                    "redirect_uri": OAuthProviderTests.redirect,
                ], proof: OAuthProviderTests.proof)
            #expect(!tokens.scope.contains("include:"))
            let access = try await provider.verifyAccess(token: tokens.access_token, proof: OAuthProviderTests.proof)
            #expect(access.permissions.allowsRepo(collection: "com.example.perms.item", action: .create))
            #expect(!access.permissions.allowsRepo(collection: "app.bsky.feed.post", action: .create))
            let rotated = try await provider.refresh(
                form: ["refresh_token": tokens.refresh_token, "client_id": clientID], proof: OAuthProviderTests.proof)
            #expect(rotated.scope == tokens.scope)
        }
    }
}
