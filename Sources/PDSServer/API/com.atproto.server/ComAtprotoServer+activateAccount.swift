import ActorStore
import ATCore
import ATCrypto
import Foundation
import Hummingbird
import Identity
import ServiceDB

extension ComAtprotoServer {
    /// `com.atproto.server.activateAccount` (FULL): the DID document must point at this PDS with the account's
    /// key before the account is reactivated.
    ///
    /// - Note: the `#account`, `#identity` and `#sync` events are sequenced here once the Sequencer lands.
    func activateAccount(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full)
        guard caller.account != nil else { throw XRPCError.invalidRequest("Account not found", name: "AccountNotFound") }
        guard await isDIDDocumentValid(caller.did) else {
            throw XRPCError.invalidRequest(
                "DID document does not point to this PDS with the account's signing key", name: "InvalidRequest")
        }
        try await services.serviceDB.activateAccount(did: caller.did)
    }
}
