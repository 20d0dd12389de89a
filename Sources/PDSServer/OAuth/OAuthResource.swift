import ATCore
import Foundation
import HTTPTypes
import Hummingbird

/// The resource-server side of OAuth: checks `Authorization: DPoP <token>` with its `DPoP` proof on XRPC requests
/// (the proof's `htu` is the public URL plus the request path).
package struct OAuthResource: Sendable {
    let provider: OAuthProvider
    let dpop: DPoPVerifier
    /// The public URL the requests are addressed to (`PDS_HOSTNAME`'s).
    let publicURL: String
    /// The configured AppView as an `rpc:` audience (`did#bsky_appview`), if any.
    let appViewAudience: String?

    /// Creates the verifier.
    package init(provider: OAuthProvider, dpop: DPoPVerifier, publicURL: String, appViewAudience: String?) {
        self.provider = provider
        self.dpop = dpop
        self.publicURL = publicURL
        self.appViewAudience = appViewAudience
    }

    /// Verifies the token and its proof.
    /// - Throws: an `XRPCError` 401 carrying the OAuth error code and a `WWW-Authenticate: DPoP` challenge
    ///   (`use_dpop_nonce` tells the client to retry with the `DPoP-Nonce` the response carries).
    func verify(_ request: Request, token: String) async throws -> OAuthProvider.ResourceAccess {
        do {
            let proofs = request.headers[values: HTTPField.Name("DPoP")!]
            guard proofs.count == 1 else { throw OAuthError.invalidDPoPProof("Exactly one DPoP proof is required") }
            let proof = try dpop.verify(
                proof: proofs[0], method: request.method.rawValue, url: publicURL + request.uri.path,
                accessToken: token, now: provider.now())
            return try await provider.verifyAccess(token: token, proof: proof)
        } catch let error as OAuthError {
            throw XRPCError(
                status: .unauthorized, name: error.code, message: error.description,
                headers: [.wwwAuthenticate: error.challenge])
        }
    }
}

/// What an XRPC method demands of an OAuth token (the "OAuth" column of the reference's auth tables, §a.2–a.8).
package enum OAuthRule: Sendable {
    /// `ForbiddenError 'OAuth credentials are not supported for this endpoint'`.
    case forbidden
    /// Any token with `atproto`; the handler checks the permission that depends on its input, if any.
    case allowed
    /// `account:<attr>?action=<action>`.
    case account(OAuthPermission.AccountAttribute, OAuthPermission.AccountAction)
    /// `identity:<attr>`.
    case identity(String)
    /// `rpc:<lxm>?aud=<aud>`.
    case rpc(lxm: String, aud: String)
    /// `rpc:<lxm>?aud=<AppView DID>#bsky_appview`: the `app.bsky` methods served here on the AppView's behalf.
    case appView(String)

    /// Throws 403 unless `permissions` satisfy the rule.
    /// - Parameters:
    ///   - appView: the configured AppView's `did#bsky_appview`, for ``appView(_:)``.
    func check(_ permissions: OAuthPermissions, appView: String?) throws(XRPCError) {
        switch self {
        case .appView(let lxm):
            guard let appView else { throw .forbidden("No AppView is configured") }
            try OAuthRule.rpc(lxm: lxm, aud: appView).check(permissions, appView: nil)
        case .forbidden: throw .forbidden("OAuth credentials are not supported for this endpoint")
        case .allowed: return
        case .account(let attribute, let action):
            guard permissions.allowsAccount(attribute, action) else {
                throw .forbidden("Missing required scope \"account:\(attribute.rawValue)?action=\(action.rawValue)\"")
            }
        case .identity(let attribute):
            guard permissions.allowsIdentity(attribute) else {
                throw .forbidden("Missing required scope \"identity:\(attribute)\"")
            }
        case .rpc(let lxm, let aud):
            guard permissions.allowsRPC(lxm: lxm, aud: aud) else {
                throw .forbidden("Missing required scope \"rpc:\(lxm)?aud=\(aud)\"")
            }
        }
    }
}

extension AuthVerifier.AccessOutput {
    /// Checks a record write against an OAuth token's `repo:` permissions (legacy tokens pass).
    package func authorizeRepo(collection: String, action: OAuthPermission.RepoAction) throws(XRPCError) {
        guard let permissions, !permissions.allowsRepo(collection: collection, action: action) else { return }
        throw .forbidden("Missing required scope \"repo:\(collection)?action=\(action.rawValue)\"")
    }

    /// Checks a blob upload against an OAuth token's `blob:` permissions (legacy tokens pass).
    package func authorizeBlob(mime: String) throws(XRPCError) {
        guard let permissions, !permissions.allowsBlob(mime: mime) else { return }
        throw .forbidden("Missing required scope \"blob:\(mime)\"")
    }

    /// Checks a proxied call against an OAuth token's `rpc:` permissions (legacy tokens pass).
    package func authorizeRPC(lxm: String, aud: String) throws(XRPCError) {
        guard let permissions else { return }
        try OAuthRule.rpc(lxm: lxm, aud: aud).check(permissions, appView: nil)
    }
}
