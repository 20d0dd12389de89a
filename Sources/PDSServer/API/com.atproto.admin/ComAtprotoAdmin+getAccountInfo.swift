import ATCore
import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// `com.atproto.admin.getAccountInfo` (moderator): the ``AccountView`` of an account, taken-down and deactivated
    /// ones included.
    /// - Throws: 400 `NotFound` "Account not found".
    func getAccountInfo(_ request: Request) async throws -> AccountView {
        try await auth.moderator(request, lxm: "com.atproto.admin.getAccountInfo")
        let did = try XRPCParameters(request).parseRequired("did") { try DID($0) }
        guard let account = try await serviceDB.account(did: did) else {
            throw XRPCError.invalidRequest("Account not found", name: XRPCErrorName.notFound)
        }
        return try await accountViews([account])[0]
    }
}
