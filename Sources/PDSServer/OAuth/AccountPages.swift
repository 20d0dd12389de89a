import ATCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceDB

/// `/account`: the apps (OAuth sessions) and browsers signed in to the account, each with a sign-out button.
/// Signing in here uses the same rules as the authorization pages.
struct AccountPages: Sendable {
    let provider: OAuthProvider
    let browsers: BrowserSessions
    let serviceDB: ServiceDB
    let serviceName: String
    /// Password attempts, counted as `createSession`'s.
    let limiter: SignInLimiter

    func register(on router: Router<some RequestContext & RemoteAddressRequestContext>) {
        router.get("/account") { request, context in
            await page(context.logger) { try await show(request, peer: context.remoteAddress?.ipAddress, notice: nil) }
        }
        router.post("/account/sign-in") { request, context in
            await page(context.logger) { try await signIn(request, peer: context.remoteAddress?.ipAddress) }
        }
        router.post("/account/revoke") { request, context in
            await page(context.logger) { try await revoke(request, peer: context.remoteAddress?.ipAddress) }
        }
        router.post("/account/sign-out") { request, context in
            await page(context.logger) { try await signOut(request, peer: context.remoteAddress?.ipAddress) }
        }
    }

    func page(_ logger: Logger, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            logger.error("Account page failed", metadata: ["error": "\(String(reflecting: error))"])
            return OAuthHTTP.html(
                OAuthPages.error(title: "Something went wrong", message: "Please reload the page."),
                status: .internalServerError)
        }
    }

    func show(_ request: Request, peer: String?, notice: String?) async throws -> Response {
        let browser = try await browsers.browser(request, peer: peer)
        guard let account = try await provider.signedInAccount(deviceID: browser.deviceID) else {
            return OAuthHTTP.html(
                OAuthPages.accountSignIn(serviceName: serviceName, csrf: browser.csrf, error: nil),
                cookies: browser.cookies)
        }
        let current = provider.now()
        let sessions = try await serviceDB.oauthTokens(did: account.did.rawValue).filter {
            current.timeIntervalSince($0.createdAt) < OAuthProvider.sessionLifetime
                && current.timeIntervalSince($0.updatedAt) < OAuthProvider.refreshInactivity
        }.map { token in
            OAuthPages.SessionView(
                id: token.id, client: URLComponents(string: token.clientId)?.host ?? token.clientId,
                scope: token.scope ?? "", createdAt: token.createdAt, lastUsedAt: token.updatedAt)
        }
        let devices = try await serviceDB.devicesOfAccount(did: account.did.rawValue).map { entry in
            OAuthPages.DeviceView(
                id: entry.device.id, userAgent: entry.device.userAgent ?? "", ipAddress: entry.device.ipAddress,
                lastSeenAt: entry.device.lastSeenAt, isThisDevice: entry.device.id == browser.deviceID)
        }
        let page = OAuthPages.account(
            serviceName: serviceName, handle: account.handle?.rawValue ?? account.did.rawValue, csrf: browser.csrf,
            sessions: sessions, devices: devices, notice: notice)
        return OAuthHTTP.html(page, cookies: browser.cookies)
    }

    func signIn(_ request: Request, peer: String?) async throws -> Response {
        let fields = try await OAuthHTTP.form(request)
        guard let browser = try await browsers.submittingBrowser(request, form: fields) else {
            return OAuthHTTP.redirect("/account")
        }
        let identifier = fields["identifier"] ?? ""
        guard limiter.allows(request, peer: peer, identifier: identifier) else {
            return OAuthHTTP.html(
                OAuthPages.accountSignIn(
                    serviceName: serviceName, csrf: browser.csrf, error: "Too many sign-in attempts. Try again later."),
                status: .tooManyRequests)
        }
        switch try await provider.signIn(identifier: identifier, password: fields["password"] ?? "") {
        case .success(let account):
            try await provider.recordSignIn(did: account.did, deviceID: browser.deviceID)
            return OAuthHTTP.redirect("/account")
        case .failure:
            return OAuthHTTP.html(
                OAuthPages.accountSignIn(
                    serviceName: serviceName, csrf: browser.csrf, error: "Wrong handle, email or password."),
                status: .unauthorized)
        }
    }

    func revoke(_ request: Request, peer: String?) async throws -> Response {
        let fields = try await OAuthHTTP.form(request)
        guard let browser = try await browsers.submittingBrowser(request, form: fields),
            let account = try await provider.signedInAccount(deviceID: browser.deviceID),
            let id = fields["session"].flatMap(Int64.init)
        else { return OAuthHTTP.redirect("/account") }
        let revoked = try await serviceDB.revokeOAuthToken(id: id, did: account.did.rawValue)
        return try await show(request, peer: peer, notice: revoked ? "The app was signed out." : nil)
    }

    func signOut(_ request: Request, peer: String?) async throws -> Response {
        let fields = try await OAuthHTTP.form(request)
        guard let browser = try await browsers.submittingBrowser(request, form: fields),
            let account = try await provider.signedInAccount(deviceID: browser.deviceID),
            let device = fields["device"]
        else { return OAuthHTTP.redirect("/account") }
        try await serviceDB.deleteAccountDevice(did: account.did.rawValue, deviceId: device)
        return OAuthHTTP.redirect("/account")
    }
}
