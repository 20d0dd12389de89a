import ATCore
import Hummingbird
import Logging
import ServiceDB

extension ComAtprotoAdmin {
    /// Input of `com.atproto.admin.updateAccountHandle`.
    struct UpdateAccountHandleInput: Decodable {
        var did: String
        var handle: String
    }

    /// `com.atproto.admin.updateAccountHandle` (admin Basic only): gives an account a handle as
    /// `com.atproto.identity.updateHandle` does (``IdentityUpdater``: PLC operation, account row, `#identity`), with
    /// the reference's `allowAnyValid`: reserved names under the service domains are accepted.
    ///
    /// As in the reference, a taken-down account is not found here (deactivated ones are).
    /// - Throws: 400 `InvalidRequest` "Account not found"; `InvalidHandle`, `HandleNotAvailable` "Handle already
    ///   taken: …", or "External handle did not resolve to DID".
    func updateAccountHandle(_ request: Request, logger: Logger) async throws {
        try auth.admin(request)
        let input = try await XRPCBody.decode(UpdateAccountHandleInput.self, from: request)
        guard let did = try? DID(input.did) else { throw XRPCError.invalidRequest("Input/did must be a valid did") }
        guard let account = try await serviceDB.account(did: did), account.takedownRef == nil else {
            throw XRPCError.invalidRequest("Account not found")
        }
        let handle = try await updater.validateHandle(input.handle, for: did, allowAnyValid: true)
        try await updater.updateHandle(handle, for: did, logger: logger)
    }
}
