import ATCore
import Hummingbird
import Sequencer
import ServiceDB

extension ComAtprotoServer {
    /// Input of `com.atproto.server.deactivateAccount`.
    struct DeactivateAccountInput: Decodable {
        var deleteAfter: String?
    }

    /// `com.atproto.server.deactivateAccount` (FULL, taken-down tokens allowed). `deleteAfter` is stored only.
    /// Sequences `#account {active: false, status: deactivated}`.
    func deactivateAccount(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, allowTakendown: true)
        let input = try await XRPCBody.decode(DeactivateAccountInput.self, from: request)
        var deleteAfter: Datetime?
        if let raw = input.deleteAfter {
            guard let parsed = try? Datetime(raw) else { throw XRPCError.invalidRequest("Invalid deleteAfter") }
            deleteAfter = parsed
        }
        try await serviceDB.deactivateAccount(did: caller.did, deleteAfter: deleteAfter?.date)
        _ = try await sequencer.sequenceAccountStatus(did: caller.did, active: false, status: .deactivated)
    }
}
