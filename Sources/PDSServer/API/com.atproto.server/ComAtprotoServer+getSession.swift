import ATCore
import Hummingbird
import Identity
import ServiceDB

extension ComAtprotoServer {
    /// Output of `com.atproto.server.getSession`.
    struct GetSessionOutput: ResponseEncodable {
        var handle: String
        var did: String
        var email: String?
        var emailConfirmed: Bool?
        var didDoc: DIDDocument?
        var active: Bool
        var status: String?
    }

    /// `com.atproto.server.getSession` (STD, also signup-queued tokens).
    func getSession(_ request: Request) async throws -> GetSessionOutput {
        var scopes = SessionTokens.Scope.standard
        scopes.insert(.signupQueued)
        let caller = try await auth.access(request, scopes: scopes, oauth: .allowed)
        guard let account = caller.account else {
            throw XRPCError.invalidRequest("Could not find user info for account: \(caller.did)")
        }
        let didDoc =
            identity.enableDIDDocWithSession ? try? await didDocuments.document(account.did) : nil
        // An OAuth token sees the email only with `account:email` (or `transition:email`), as the reference.
        let email = caller.permissions.map { $0.allowsAccount(.email, .read) } ?? true ? account.email : nil
        return GetSessionOutput(
            handle: (account.handle ?? Handle.invalid).rawValue, did: account.did.rawValue, email: email,
            emailConfirmed: email == nil ? nil : account.emailConfirmedAt != nil, didDoc: didDoc,
            active: account.status == .active, status: account.status == .active ? nil : account.status.rawValue)
    }
}
