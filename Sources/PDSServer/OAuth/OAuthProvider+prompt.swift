import ATCore
import Foundation
import ServiceDB

extension OAuthProvider {
    /// What `/oauth/authorize` does with a request before any page is shown.
    package enum AutomaticDecision: Sendable, Equatable {
        /// Approve it for this account without asking (single sign-on).
        case approve(DID)
        /// End it with this OAuth error for the client (`prompt=none` that needs the user, or
        /// `prompt=select_account` with no account to select).
        case refuse(code: String, description: String)
        /// Show the sign-in or consent page.
        case showPages
    }

    /// An account signed in on a device, as the authorization pages see it for one request.
    struct DeviceSession {
        var account: AccountRecord
        /// The sign-in is older than ``authenticationMaxAge``, or the request says `prompt=login`.
        var loginRequired: Bool
        /// The account has not approved every requested scope for this client, or the request says
        /// `prompt=consent`.
        var consentRequired: Bool
    }

    /// The accounts signed in on `deviceID` (taken-down ones left out), with what each would need for `request`.
    func deviceSessions(_ request: PendingRequest, deviceID: String) async throws -> [DeviceSession] {
        let requested = Set(request.parameters.scope.split(separator: " ").map(String.init))
        var sessions: [DeviceSession] = []
        for did in try await serviceDB.accountsOnDevice(deviceId: deviceID) {
            guard let parsed = try? DID(did),
                let at = try await serviceDB.accountDeviceSignIn(did: did, deviceId: deviceID),
                let account = try await serviceDB.account(did: parsed), account.takedownRef == nil
            else { continue }
            let approved = try await authorizedScopes(did: parsed, clientID: request.record.clientId)
            sessions.append(
                DeviceSession(
                    account: account,
                    loginRequired: request.parameters.prompt == "login"
                        || now().timeIntervalSince(at) >= Self.authenticationMaxAge,
                    consentRequired: request.parameters.prompt == "consent" || !requested.isSubset(of: approved)))
        }
        return sessions
    }

    /// Decides, as the reference's `authorize`, whether a request can be answered without any page:
    /// - `prompt=none`: exactly one signed-in account (matching `login_hint`, if any) that needs neither a new
    ///   sign-in nor consent is approved; otherwise `login_required`, `consent_required` or
    ///   `account_selection_required`, with no page shown.
    /// - no `prompt` and a `login_hint` naming the one such account: approved (automatic single sign-on).
    /// - `prompt=select_account` on a device with no account signed in: `account_selection_required`.
    /// - anything else shows the pages (`prompt=login` the sign-in page, `prompt=consent` the consent page).
    package func automaticDecision(_ request: PendingRequest, deviceID: String) async throws -> AutomaticDecision {
        let prompt = request.parameters.prompt
        let sessions = try await deviceSessions(request, deviceID: deviceID)
        if prompt == "select_account" && sessions.isEmpty {
            return .refuse(code: "account_selection_required", description: "No account is signed in to select")
        }
        let hint = request.parameters.login_hint?.lowercased()
        let matching = sessions.filter { session in
            guard let hint else { return true }
            return session.account.did.rawValue == hint || session.account.handle?.rawValue == hint
        }
        if prompt == "none" {
            guard matching.count <= 1 else {
                return .refuse(code: "account_selection_required", description: "More than one account is signed in")
            }
            guard let session = matching.first, !session.loginRequired else {
                return .refuse(code: "login_required", description: "The user must sign in")
            }
            guard !session.consentRequired else {
                return .refuse(code: "consent_required", description: "The user must approve the request")
            }
            return .approve(session.account.did)
        }
        if prompt == nil, hint != nil, matching.count == 1, let session = matching.first, !session.loginRequired,
            !session.consentRequired
        {
            return .approve(session.account.did)
        }
        return .showPages
    }

    /// The account a request may be approved for without showing any page (see ``automaticDecision(_:deviceID:)``).
    /// - Returns: `nil` when the pages must be shown or the request must be refused.
    package func silentApproval(_ request: PendingRequest, deviceID: String) async throws -> DID? {
        guard case .approve(let did) = try await automaticDecision(request, deviceID: deviceID) else { return nil }
        return did
    }
}
