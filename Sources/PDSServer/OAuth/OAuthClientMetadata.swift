import Foundation

/// An OAuth client's metadata document (RFC 7591 fields atproto uses, atproto.com/specs/oauth §Clients), checked
/// against the atproto rules by ``validate(clientID:)``.
package struct OAuthClientMetadata: Codable, Sendable, Equatable {
    package var client_id: String
    package var client_name: String?
    package var client_uri: String?
    package var logo_uri: String?
    package var tos_uri: String?
    package var policy_uri: String?
    package var redirect_uris: [String]
    package var grant_types: [String]?
    package var response_types: [String]?
    package var scope: String?
    package var token_endpoint_auth_method: String?
    package var application_type: String?
    package var dpop_bound_access_tokens: Bool?
    /// `private_key_jwt` clients: the algorithm of their assertions, and their public keys inline or by URL.
    package var token_endpoint_auth_signing_alg: String?
    package var jwks: OAuthJWKSet?
    package var jwks_uri: String?

    /// The metadata of a loopback development client (`http://localhost[?redirect_uri=…&scope=…]`), as the spec
    /// defines it: a public native client whose redirect URIs default to `http://127.0.0.1/` and `http://[::1]/`.
    /// - Returns: `nil` when `clientID` is not a loopback client id.
    package static func loopback(clientID: String) -> OAuthClientMetadata? {
        guard let components = URLComponents(string: clientID), components.scheme == "http",
            components.host == "localhost", components.port == nil, components.path.isEmpty || components.path == "/",
            components.fragment == nil
        else { return nil }
        let items = components.queryItems ?? []
        guard items.allSatisfy({ ["redirect_uri", "scope"].contains($0.name) && $0.value != nil }) else { return nil }
        let redirects = items.filter { $0.name == "redirect_uri" }.compactMap(\.value)
        let scopes = items.filter { $0.name == "scope" }.compactMap(\.value)
        guard scopes.count <= 1 else { return nil }
        return OAuthClientMetadata(
            client_id: clientID, client_name: nil, client_uri: nil, logo_uri: nil, tos_uri: nil, policy_uri: nil,
            redirect_uris: redirects.isEmpty ? ["http://127.0.0.1/", "http://[::1]/"] : redirects,
            grant_types: ["authorization_code", "refresh_token"], response_types: ["code"],
            scope: scopes.first ?? "atproto", token_endpoint_auth_method: "none", application_type: "native",
            dpop_bound_access_tokens: true, token_endpoint_auth_signing_alg: nil, jwks: nil, jwks_uri: nil)
    }

    /// Whether `clientID` is a loopback client id.
    package static func isLoopback(_ clientID: String) -> Bool {
        clientID == "http://localhost" || clientID.hasPrefix("http://localhost?")
            || clientID.hasPrefix("http://localhost/")
    }

    /// Checks the document against the atproto client rules.
    /// - Parameters:
    ///   - clientID: the `client_id` it was fetched for (it must name itself).
    /// - Throws: ``OAuthError/invalidClientMetadata(_:)``.
    package func validate(clientID: String) throws(OAuthError) {
        guard client_id == clientID else { throw .invalidClientMetadata("client_id does not match the document's URL") }
        guard dpop_bound_access_tokens == true else {
            throw .invalidClientMetadata("dpop_bound_access_tokens must be true")
        }
        guard (grant_types ?? ["authorization_code"]).contains("authorization_code") else {
            throw .invalidClientMetadata("grant_types must include authorization_code")
        }
        guard (response_types ?? ["code"]).contains("code") else {
            throw .invalidClientMetadata("response_types must include code")
        }
        guard let scope, scope.split(separator: " ").contains("atproto") else {
            throw .invalidClientMetadata("scope must include atproto")
        }
        switch token_endpoint_auth_method ?? "none" {
        case "none": break
        case "private_key_jwt":
            guard let alg = token_endpoint_auth_signing_alg, OAuthJWKSet.algorithms.contains(alg) else {
                throw .invalidClientMetadata("token_endpoint_auth_signing_alg must be ES256 or ES256K")
            }
            switch (jwks, jwks_uri) {
            case (let set?, nil):
                guard set.keys.contains(where: { $0.algorithm == alg }) else {
                    throw .invalidClientMetadata("jwks has no public \(alg) key")
                }
            case (nil, let uri?):
                guard URLComponents(string: uri)?.scheme == "https" else {
                    throw .invalidClientMetadata("jwks_uri must be an https URL")
                }
            default: throw .invalidClientMetadata("private_key_jwt clients must give exactly one of jwks and jwks_uri")
            }
        default: throw .invalidClientMetadata("unsupported token_endpoint_auth_method")
        }
        guard !redirect_uris.isEmpty, redirect_uris.count <= 64 else {
            throw .invalidClientMetadata("redirect_uris must name between 1 and 64 URIs")
        }
        let native = application_type == "native"
        for uri in redirect_uris {
            guard let url = URLComponents(string: uri), let scheme = url.scheme?.lowercased(), url.fragment == nil
            else {
                throw .invalidClientMetadata("invalid redirect_uri \(uri)")
            }
            switch scheme {
            case "https": guard url.host?.isEmpty == false else { throw .invalidClientMetadata("invalid redirect_uri") }
            case "http":
                guard url.host == "127.0.0.1" || url.host == "[::1]" || url.host == "::1" else {
                    throw .invalidClientMetadata(
                        "http redirect_uris must use a loopback IP address (127.0.0.1 or [::1])")
                }
            default:
                // Private-use schemes (native apps) must be the reverse of the client_id's domain.
                guard native, scheme.contains("."), let host = URLComponents(string: clientID)?.host,
                    scheme == host.split(separator: ".").reversed().joined(separator: ".")
                else { throw .invalidClientMetadata("redirect_uri scheme \(scheme) is not allowed for this client") }
            }
        }
    }

    /// Whether `redirectURI` is one of the registered ones (for loopback IPs any port matches, RFC 8252 §7.3).
    package func allowsRedirect(_ redirectURI: String) -> Bool {
        if redirect_uris.contains(redirectURI) { return true }
        guard var candidate = URLComponents(string: redirectURI), candidate.scheme == "http",
            candidate.host == "127.0.0.1" || candidate.host == "[::1]" || candidate.host == "::1"
        else { return false }
        candidate.port = nil
        return redirect_uris.contains { registered in
            guard var url = URLComponents(string: registered), url.scheme == "http" else { return false }
            url.port = nil
            return url.host == candidate.host && url.path == candidate.path && url.query == candidate.query
        }
    }
}

/// A JSON Web Key Set (RFC 7517 §5) as clients publish it: the public EC keys this server can verify assertions
/// with; other keys (RSA, private, other curves) are skipped.
package struct OAuthJWKSet: Codable, Sendable, Equatable {
    /// The assertion algorithms supported (`token_endpoint_auth_signing_alg_values_supported`).
    package static let algorithms = ["ES256", "ES256K"]

    package var keys: [ECPublicJWK]

    package init(keys: [ECPublicJWK]) {
        self.keys = keys
    }

    private struct AnyKey: Decodable {
        var key: ECPublicJWK?
        init(from decoder: any Decoder) throws {
            key = try? ECPublicJWK(from: decoder)
        }
    }

    private enum CodingKeys: String, CodingKey { case keys }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keys = try container.decode([AnyKey].self, forKey: .keys).compactMap(\.key)
            .filter { $0.kty == "EC" && $0.d == nil && $0.algorithm != nil }
    }
}
