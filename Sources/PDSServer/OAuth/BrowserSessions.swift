import Foundation
import HTTPTypes
import Hummingbird
import ServiceDB

/// The browser a person signs in with on the authorization and account pages: a `device` row named by the
/// `device-id` and `session-id` cookies, and a `csrf-token` cookie every form must echo (double submit, with the
/// `Origin` and `Sec-Fetch-Site` headers checked as well).
struct BrowserSessions: Sendable {
    /// A browser, as the request presented it.
    struct Browser {
        var deviceID: String
        var csrf: String
        /// `Set-Cookie` values for cookies created or renewed by this request.
        var cookies: [String]
    }

    static let deviceCookie = "device-id"
    static let sessionCookie = "session-id"
    static let csrfCookie = "csrf-token"
    static let cookieLifetime = 365 * 86400

    let serviceDB: ServiceDB
    let publicURL: String
    let now: @Sendable () -> Date

    var secure: Bool { publicURL.hasPrefix("https://") }

    /// The request's browser, creating the device (and cookies) when it has none or they do not match.
    func browser(_ request: Request, peer: String?) async throws -> Browser {
        let cookies = OAuthHTTP.cookies(request)
        let userAgent = request.headers[.userAgent].map { String($0.prefix(512)) }
        let ip = peer ?? "unknown"
        var set: [String] = []
        let deviceID: String
        if let id = cookies[Self.deviceCookie], let session = cookies[Self.sessionCookie],
            let device = try await serviceDB.oauthDevice(id: id),
            AuthVerifier.constantTimeEqual(Array(device.sessionId.utf8), Array(session.utf8))
        {
            deviceID = id
            try await serviceDB.touchOAuthDevice(id: id, userAgent: userAgent, ipAddress: ip, now: now())
        } else {
            deviceID = OAuthIdentifier.deviceID()
            let session = OAuthIdentifier.sessionID()
            try await serviceDB.insertOAuthDevice(
                id: deviceID, sessionId: session, userAgent: userAgent, ipAddress: ip, now: now())
            set.append(OAuthHTTP.setCookie(Self.deviceCookie, deviceID, maxAge: Self.cookieLifetime, secure: secure))
            set.append(OAuthHTTP.setCookie(Self.sessionCookie, session, maxAge: Self.cookieLifetime, secure: secure))
        }
        let csrf: String
        if let existing = cookies[Self.csrfCookie], existing.count == 43 {
            csrf = existing
        } else {
            csrf = OAuthIdentifier.csrfToken()
            set.append(OAuthHTTP.setCookie(Self.csrfCookie, csrf, maxAge: Self.cookieLifetime, secure: secure))
        }
        return Browser(deviceID: deviceID, csrf: csrf, cookies: set)
    }

    /// The browser of a form submission: its device must exist already and the form must pass the CSRF checks.
    /// - Returns: `nil` when the checks fail.
    func submittingBrowser(_ request: Request, form: [String: String]) async throws -> Browser? {
        guard isSameOrigin(request) else { return nil }
        let cookies = OAuthHTTP.cookies(request)
        guard let csrf = cookies[Self.csrfCookie], let submitted = form["csrf_token"],
            AuthVerifier.constantTimeEqual(Array(csrf.utf8), Array(submitted.utf8)),
            let id = cookies[Self.deviceCookie], let session = cookies[Self.sessionCookie],
            let device = try await serviceDB.oauthDevice(id: id),
            AuthVerifier.constantTimeEqual(Array(device.sessionId.utf8), Array(session.utf8))
        else { return nil }
        return Browser(deviceID: id, csrf: csrf, cookies: [])
    }

    /// Whether the request comes from this server's own pages (`Origin` and `Sec-Fetch-Site`, when sent).
    func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return false
        }
        if let origin = request.headers[HTTPField.Name("Origin")!] {
            return origin == Self.origin(of: publicURL)
        }
        return true
    }

    /// `scheme://host[:port]` of a URL.
    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return url }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }
}
