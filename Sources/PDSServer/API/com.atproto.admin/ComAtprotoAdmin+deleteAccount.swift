import ATCore
import Hummingbird
import Logging
import ServiceDB

extension ComAtprotoAdmin {
    /// Input of `com.atproto.admin.deleteAccount`.
    struct DeleteAccountInput: Decodable {
        var did: String
    }

    /// `com.atproto.admin.deleteAccount` (admin Basic auth only): the account's rows, `#account` deleted, its actor
    /// store and its blobs, with no password or token (``AccountDeleter/remove(_:logger:)``).
    func deleteAccount(_ request: Request, logger: Logger) async throws {
        try auth.admin(request)
        let input = try await XRPCBody.decode(DeleteAccountInput.self, from: request)
        guard let did = try? DID(input.did) else { throw XRPCError.invalidRequest("Input/did must be a valid did") }
        guard try await serviceDB.account(did: did) != nil else {
            throw XRPCError.invalidRequest("account not found", name: XRPCErrorName.accountNotFound)
        }
        try await deleter.remove(did, logger: logger)
    }
}
