import Foundation
import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// `com.atproto.server.refreshSession`: rotates the refresh token (reusing it within the 2-hour grace period
    /// yields the same successor) and issues a new access token with the session's scope.
    func refreshSession(_ request: Request) async throws -> SessionOutput {
        let presented = try auth.refresh(request)
        guard let account = try await serviceDB.account(did: presented.did) else {
            throw XRPCError.invalidRequest("Could not find user info for account: \(presented.did)")
        }
        if account.takedownRef != nil {
            throw XRPCError.authRequired("Account has been taken down", name: XRPCErrorName.accountTakedown)
        }
        let expiresAt = Date().addingTimeInterval(SessionTokens.refreshLifetime)
        guard
            let rotated = try await serviceDB.rotateRefreshToken(
                id: presented.id, newID: SessionTokens.newRefreshTokenID(), newExpiresAt: expiresAt)
        else { throw XRPCError.invalidRequest("Token has been revoked", name: XRPCErrorName.expiredToken) }

        var scope = SessionTokens.Scope.access
        if let name = rotated.appPasswordName {
            let passwords = try await serviceDB.listAppPasswords(did: account.did)
            guard let appPassword = passwords.first(where: { $0.name == name }) else {
                throw XRPCError.invalidRequest("Token has been revoked", name: XRPCErrorName.expiredToken)
            }
            scope = appPassword.privileged ? .appPassPrivileged : .appPass
        }
        let access = try tokens.createAccessToken(did: account.did, scope: scope)
        let refresh = try tokens.createRefreshToken(did: account.did, id: rotated.nextID)
        return try await sessionOutput(account: account, accessJwt: access, refreshJwt: refresh.token)
    }
}
