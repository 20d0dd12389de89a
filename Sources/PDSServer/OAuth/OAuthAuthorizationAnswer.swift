import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The authorization response sent back to the client (RFC 6749 §4.1.2, with RFC 9207's `iss`): the code or an
/// error, delivered as the request's `response_mode` asks: a redirect with the parameters in the query or the
/// fragment, or (`form_post`) a page that posts them to the redirect URI.
package struct OAuthAuthorizationAnswer: Sendable, Equatable {
    /// The request being answered (its `redirect_uri`, `response_mode` and `state`).
    package var parameters: OAuthRequestParameters
    /// The response parameters (`iss`, then `code` or `error`/`error_description`); `state` is added.
    package var items: [URLQueryItem]

    /// The redirect URL, for the `query` and `fragment` modes.
    package var location: String { parameters.redirect(items.map { ($0.name, $0.value ?? "") }) }

    /// The parameters as posted in the `form_post` mode (`state` first).
    var postedItems: [URLQueryItem] {
        (parameters.state.map { [URLQueryItem(name: "state", value: $0)] } ?? []) + items
    }

    /// The HTTP answer to the browser.
    /// - Parameters:
    ///   - cookies: `Set-Cookie` values to send along.
    func response(cookies: [String] = []) -> Response {
        guard parameters.response_mode == "form_post" else { return OAuthHTTP.redirect(location, cookies: cookies) }
        return Self.formPost(action: parameters.redirect_uri, items: postedItems, cookies: cookies)
    }

    /// The script that submits the form at once; the page's CSP allows exactly it, by hash.
    static let submitScript = "document.forms[0].submit();"
    static let submitScriptHash =
        "sha256-" + Data(SHA256.hash(data: Array(submitScript.utf8))).base64EncodedString()

    /// A page posting `items` to `action`, by itself when scripts run, with a button when they do not.
    static func formPost(action: String, items: [URLQueryItem], cookies: [String]) -> Response {
        let inputs = items.map {
            #"<input type="hidden" name="\#(OAuthPages.escape($0.name))" value="\#(OAuthPages.escape($0.value ?? ""))">"#
        }.joined()
        let page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Returning to the app</title></head>
            <body><form method="post" action="\(OAuthPages.escape(action))">\(inputs)
            <noscript><p>Continue to return to the app.</p><button type="submit">Continue</button></noscript></form>
            <script>\(submitScript)</script></body></html>
            """
        return OAuthHTTP.html(
            page, cookies: cookies,
            policy: "default-src 'none'; script-src '\(submitScriptHash)'; base-uri 'none'; frame-ancestors 'none'",
            referrerPolicy: "no-referrer")
    }
}
