import ATCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceDB

/// `/oauth/authorize` and its forms: the sign-in page, then the consent page, then the redirect to the app with
/// the code (or `access_denied`).
struct OAuthAuthorizePages: Sendable {
    let provider: OAuthProvider
    let browsers: BrowserSessions
    let serviceDB: ServiceDB
    /// The name the pages show (`PDS_SERVICE_NAME`).
    let serviceName: String
    /// Password attempts, counted as `createSession`'s.
    let limiter: SignInLimiter

    func register(on router: Router<some RequestContext & RemoteAddressRequestContext>) {
        router.get("/oauth/authorize") { request, context in
            await page(context.logger) { try await authorize(request, peer: context.remoteAddress?.ipAddress) }
        }
        router.post("/oauth/authorize/sign-in") { request, context in
            await page(context.logger) { try await signIn(request, peer: context.remoteAddress?.ipAddress) }
        }
        router.post("/oauth/authorize/consent") { request, context in
            await page(context.logger) { try await consent(request) }
        }
    }

    /// Runs a page handler; errors become an error page (the browser is not an API client).
    func page(_ logger: Logger, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as OAuthError {
            return OAuthHTTP.html(
                OAuthPages.error(title: "This sign-in request cannot continue", message: error.description),
                status: .badRequest)
        } catch {
            logger.error("Authorization page failed", metadata: ["error": "\(String(reflecting: error))"])
            return OAuthHTTP.html(
                OAuthPages.error(title: "Something went wrong", message: "Please try again from the app."),
                status: .internalServerError)
        }
    }

    func authorize(_ request: Request, peer: String?) async throws -> Response {
        let query = OAuthHTTP.query(request)
        guard let requestURI = query["request_uri"] else {
            throw OAuthError.invalidRequest("This server requires pushed authorization requests (request_uri)")
        }
        let pending = try await provider.pendingRequest(requestURI: requestURI, clientID: query["client_id"])
        let browser = try await browsers.browser(request, peer: peer)
        switch try await provider.automaticDecision(pending, deviceID: browser.deviceID) {
        case .approve(let did):
            return try await provider.approve(pending, did: did, deviceID: browser.deviceID).response(
                cookies: browser.cookies)
        case .refuse(let code, let description):
            return try await provider.refuse(pending, code: code, description: description).response(
                cookies: browser.cookies)
        case .showPages:
            // The pages show the permission sets: one that no longer resolves ends the request, as the reference.
            do {
                _ = try await provider.permissionSets(scope: pending.parameters.scope)
            } catch let error as OAuthError where error.code == "invalid_scope" {
                return try await provider.refuse(pending, code: error.code, description: error.description).response(
                    cookies: browser.cookies)
            }
        }
        let form = OAuthPages.FormContext(requestURI: requestURI, clientID: pending.record.clientId, csrf: browser.csrf)
        if pending.parameters.prompt != "login",
            let account = try await provider.signedInAccount(
                deviceID: browser.deviceID, hint: pending.parameters.login_hint)
        {
            return OAuthHTTP.html(
                try await consentPage(pending, form: form, account: account, request: request), cookies: browser.cookies
            )
        }
        let page = OAuthPages.signIn(
            serviceName: serviceName, client: .init(pending.client), form: form,
            identifier: pending.parameters.login_hint, error: nil)
        return OAuthHTTP.html(page, cookies: browser.cookies)
    }

    func signIn(_ request: Request, peer: String?) async throws -> Response {
        let fields = try await OAuthHTTP.form(request)
        guard let browser = try await browsers.submittingBrowser(request, form: fields) else { return forbidden() }
        let requestURI = fields["request_uri"] ?? ""
        let pending = try await provider.pendingRequest(requestURI: requestURI, clientID: fields["client_id"])
        let form = OAuthPages.FormContext(requestURI: requestURI, clientID: pending.record.clientId, csrf: browser.csrf)
        let identifier = fields["identifier"] ?? ""
        guard limiter.allows(request, peer: peer, identifier: identifier) else {
            let page = OAuthPages.signIn(
                serviceName: serviceName, client: .init(pending.client), form: form, identifier: identifier,
                error: "Too many sign-in attempts. Try again later.")
            return OAuthHTTP.html(page, status: .tooManyRequests)
        }
        switch try await provider.signIn(identifier: identifier, password: fields["password"] ?? "") {
        case .success(let account):
            try await provider.recordSignIn(did: account.did, deviceID: browser.deviceID)
            return OAuthHTTP.html(try await consentPage(pending, form: form, account: account, request: request))
        case .failure(let failure):
            let message: String
            switch failure {
            case .invalidCredentials(let appPasswordHint):
                message =
                    appPasswordHint
                    ? "Wrong handle, email or password. App passwords cannot be used here: use your account password."
                    : "Wrong handle, email or password."
            case .takendown: message = "This account has been taken down."
            }
            let page = OAuthPages.signIn(
                serviceName: serviceName, client: .init(pending.client), form: form, identifier: identifier,
                error: message)
            return OAuthHTTP.html(page, status: .unauthorized)
        }
    }

    func consent(_ request: Request) async throws -> Response {
        let fields = try await OAuthHTTP.form(request)
        guard let browser = try await browsers.submittingBrowser(request, form: fields) else { return forbidden() }
        let pending = try await provider.pendingRequest(
            requestURI: fields["request_uri"] ?? "", clientID: fields["client_id"])
        guard fields["decision"] == "allow" else {
            return try await provider.deny(pending).response()
        }
        guard let did = fields["did"].flatMap({ try? DID($0) }),
            try await provider.isSignedIn(did: did, deviceID: browser.deviceID)
        else {
            throw OAuthError.accessDenied("Sign in again to approve this request")
        }
        return try await provider.approve(pending, did: did, deviceID: browser.deviceID).response()
    }

    /// The consent page, showing the permission sets the request includes in the reader's language.
    func consentPage(
        _ pending: OAuthProvider.PendingRequest, form: OAuthPages.FormContext, account: AccountRecord, request: Request
    ) async throws -> String {
        OAuthPages.consent(
            serviceName: serviceName, client: .init(pending.client), form: form,
            handle: account.handle?.rawValue ?? account.did.rawValue, did: account.did.rawValue,
            scope: pending.parameters.scope, sets: try await provider.permissionSets(scope: pending.parameters.scope),
            languages: OAuthPermissionText.languages(acceptLanguage: request.headers[.acceptLanguage]))
    }

    func forbidden() -> Response {
        OAuthHTTP.html(
            OAuthPages.error(
                title: "Request refused",
                message: "This form was not submitted from this site's own page, or its session has ended. "
                    + "Reload the page and try again."),
            status: .forbidden)
    }
}
