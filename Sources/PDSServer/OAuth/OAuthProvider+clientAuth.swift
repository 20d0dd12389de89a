import Foundation

extension OAuthProvider {
    /// Authenticates the client of a PAR or token request as its metadata says: a public client (`none`) must send
    /// no assertion; a `private_key_jwt` client must send a valid one (``ClientAssertionVerifier``).
    /// - Returns: the `clientAuth` JSON stored with the request and the session: `{"method":"none"}`, or
    ///   `{"alg","kid","method":"private_key_jwt"}` naming the key used, which later requests must use again.
    /// - Throws: ``OAuthError/invalidClient(_:)``.
    func authenticateClient(_ client: OAuthClientMetadata, form: [String: String]) async throws -> String {
        let type = form["client_assertion_type"]
        let assertion = form["client_assertion"]
        guard client.token_endpoint_auth_method == "private_key_jwt" else {
            guard type == nil, assertion == nil else {
                throw OAuthError.invalidClient("This client is public: it must not send a client assertion")
            }
            return Self.publicClientAuth
        }
        guard type == ClientAssertionVerifier.assertionType, let assertion else {
            throw OAuthError.invalidClient(
                "This client authenticates with private_key_jwt: client_assertion_type and client_assertion are required"
            )
        }
        let keys = try await clients.keys(of: client)
        let kid = try assertions.verify(assertion: assertion, client: client, keys: keys, now: now())
        let data = try JSONSerialization.data(
            withJSONObject: [
                "method": "private_key_jwt", "alg": client.token_endpoint_auth_signing_alg ?? "ES256", "kid": kid,
            ], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The `method` of a stored `clientAuth` (`none` when unreadable).
    static func authMethod(_ clientAuth: String) -> String {
        let object = try? JSONSerialization.jsonObject(with: Data(clientAuth.utf8)) as? [String: Any]
        return object?["method"] as? String ?? "none"
    }

    /// Whether two `clientAuth` values name the same method and key.
    static func sameClientAuth(_ stored: String, _ presented: String) -> Bool {
        func fields(_ json: String) -> [String]? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
                return nil
            }
            return [object["method"] as? String ?? "", object["kid"] as? String ?? ""]
        }
        guard let stored = fields(stored), let presented = fields(presented) else { return false }
        return stored == presented
    }
}
