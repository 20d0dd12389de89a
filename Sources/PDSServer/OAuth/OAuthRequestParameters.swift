import Foundation
import HTTPTypes

/// The parameters of an authorization request, stored as JSON in `authorization_request.parameters` and
/// `token.parameters` with the reference's (RFC) snake_case names.
package struct OAuthRequestParameters: Codable, Sendable, Equatable {
    package var client_id: String
    package var response_type: String
    package var redirect_uri: String
    package var scope: String
    package var state: String?
    package var code_challenge: String
    package var code_challenge_method: String
    /// The DPoP key the request (and so every token it leads to) is bound to: from PAR's proof, or the first token
    /// request's.
    package var dpop_jkt: String?
    package var response_mode: String?
    package var login_hint: String?
    package var prompt: String?

    /// Reads and checks the parameters of a pushed authorization request against the client's metadata.
    /// - Parameters:
    ///   - form: the PAR body.
    ///   - client: the client's metadata.
    /// - Throws: ``OAuthError`` `invalid_request`, `invalid_scope`, `invalid_redirect_uri`.
    package init(form: [String: String], client: OAuthClientMetadata) throws(OAuthError) {
        if form["request"] != nil { throw .invalidRequest("Request objects (JAR) are not supported") }
        guard form["response_type"] == "code" else { throw .invalidRequest("response_type must be code") }
        guard let challenge = form["code_challenge"], (43...128).contains(challenge.count) else {
            throw .invalidRequest("code_challenge is required (PKCE)")
        }
        guard form["code_challenge_method"] == "S256" else {
            throw .invalidRequest("code_challenge_method must be S256")
        }
        let redirect: String
        if let given = form["redirect_uri"] {
            redirect = given
        } else if client.redirect_uris.count == 1 {
            redirect = client.redirect_uris[0]
        } else {
            throw .invalidRequest("redirect_uri is required")
        }
        guard client.allowsRedirect(redirect) else {
            throw .invalidRedirectURI("redirect_uri is not registered for this client")
        }
        let requested = (form["scope"] ?? client.scope ?? "").split(separator: " ").map(String.init)
        guard requested.contains(OAuthPermissions.atproto) else { throw .invalidScope("The atproto scope is required") }
        let allowed = Set((client.scope ?? "").split(separator: " ").map(String.init))
        if let extra = requested.first(where: { !allowed.contains($0) }) {
            throw .invalidScope("Scope \"\(extra)\" is not declared in the client metadata")
        }
        if let mode = form["response_mode"], !Self.responseModes.contains(mode) {
            throw .invalidRequest("response_mode must be query, fragment or form_post")
        }
        if let prompt = form["prompt"], !Self.prompts.contains(prompt) {
            throw .invalidRequest("Unsupported prompt")
        }
        client_id = client.client_id
        response_type = "code"
        redirect_uri = redirect
        scope = requested.joined(separator: " ")
        state = form["state"]
        code_challenge = challenge
        code_challenge_method = "S256"
        dpop_jkt = form["dpop_jkt"]
        response_mode = form["response_mode"]
        login_hint = form["login_hint"]
        prompt = form["prompt"]
    }

    /// The `response_mode` values served.
    package static let responseModes = ["query", "fragment", "form_post"]
    /// The `prompt` values served (`create` is not: account creation has no page here).
    package static let prompts = ["none", "login", "consent", "select_account"]

    /// JSON, as stored.
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Decodes stored JSON.
    package static func decode(_ json: String) throws -> OAuthRequestParameters {
        try JSONDecoder().decode(OAuthRequestParameters.self, from: Data(json.utf8))
    }

    /// The redirect that answers this request with `items` (`code`, `state`, `iss`, or an error).
    package func redirect(_ items: [(String, String)]) -> String {
        var all = items
        if let state { all.insert(("state", state), at: 0) }
        var encoder = URLComponents()
        encoder.queryItems = all.map { URLQueryItem(name: $0.0, value: $0.1) }
        // `+` and other sub-delimiters are encoded too, so that every decoder reads the same values.
        let query = (encoder.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        let separator: String
        if response_mode == "fragment" {
            separator = "#"
        } else {
            separator = redirect_uri.contains("?") ? "&" : "?"
        }
        return redirect_uri + separator + query
    }
}
