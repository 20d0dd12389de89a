import Hummingbird
import Logging

extension ComAtprotoIdentity {
    /// Input of `com.atproto.identity.updateHandle`.
    struct UpdateHandleInput: Decodable {
        var handle: String
    }

    /// `com.atproto.identity.updateHandle` (access tokens and app passwords; not for taken-down accounts): a
    /// service-domain handle under the creation rules, or an external one that already resolves to the caller.
    func updateHandle(_ request: Request, logger: Logger) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, checkTakedown: true, oauth: .identity("handle"))
        let input = try await XRPCBody.decode(UpdateHandleInput.self, from: request)
        let handle = try await updater.validateHandle(input.handle, for: caller.did)
        try await updater.updateHandle(handle, for: caller.did, logger: logger)
    }
}
