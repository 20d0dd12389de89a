import ATCore
import ActorStore
import Foundation
import Hummingbird

extension ComAtprotoServer {
    /// Output of `com.atproto.server.getServiceAuth`.
    struct GetServiceAuthOutput: ResponseEncodable {
        var token: String
    }

    /// `com.atproto.server.getServiceAuth` (STD, taken-down tokens allowed for createAccount only): a short-lived
    /// JWT signed with the account's key, for another service (reference i.3).
    func getServiceAuth(_ request: Request) async throws -> GetServiceAuthOutput {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, allowTakendown: true, oauth: .allowed)
        let params = XRPCParameters(request)
        let aud = try params.require("aud")
        let audDID = aud.split(separator: "#", maxSplits: 1).first.map(String.init) ?? aud
        guard let parsedAud = try? DID(audDID), parsedAud.isPLC || parsedAud.isWeb else {
            throw XRPCError.invalidRequest("aud must be an atproto DID, optionally with a #service fragment")
        }
        let lxm = try params.parse("lxm") { try NSID($0) }?.description
        try caller.authorizeRPC(lxm: lxm ?? "*", aud: aud)
        let now = Int(Date().timeIntervalSince1970)
        var exp = now + 60
        if let requested = try params.parse("exp", { raw -> Int in
            guard let value = Int(raw) else { throw XRPCError.invalidRequest() }
            return value
        }) {
            guard requested > now else {
                throw XRPCError.invalidRequest("expiration is in past", name: XRPCErrorName.badExpiration)
            }
            guard requested - now <= 3600 else {
                throw XRPCError.invalidRequest("cannot request a token with an expiration more than an hour in the future", name: XRPCErrorName.badExpiration)
            }
            guard lxm != nil || requested - now <= 60 else {
                throw XRPCError.invalidRequest("cannot request a method-less token with an expiration more than a minute in the future", name: XRPCErrorName.badExpiration)
            }
            exp = requested
        }
        if let lxm {
            if XRPCMethodSets.isProtected(lxm) {
                throw XRPCError.invalidRequest("cannot request a service token for a protected method: \(lxm)")
            }
            if XRPCMethodSets.isPrivileged(lxm) && !SessionTokens.Scope.privileged.contains(caller.scope)
                && caller.scope != .takendown
            {
                throw XRPCError.invalidRequest("insufficient access to request a service token for a privileged method: \(lxm)")
            }
        }
        if caller.scope == .takendown && lxm != "com.atproto.server.createAccount" {
            throw XRPCError.invalidRequest("Bad token scope", name: XRPCErrorName.invalidToken)
        }
        let keypair = try await actorStore.keypair(caller.did)
        return GetServiceAuthOutput(
            token: try ServiceJWT.sign(
                iss: caller.did, aud: aud, lxm: lxm, exp: exp, keypair: keypair,
                now: Date(timeIntervalSince1970: TimeInterval(now))))
    }
}
