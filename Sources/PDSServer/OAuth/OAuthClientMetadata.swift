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
            dpop_bound_access_tokens: true)
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
            throw .invalidClientMetadata("private_key_jwt client authentication is not supported by this server yet")
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
