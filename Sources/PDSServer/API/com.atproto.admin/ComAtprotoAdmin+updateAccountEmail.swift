import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// Input of `com.atproto.admin.updateAccountEmail`.
    struct UpdateAccountEmailInput: Decodable {
        /// The account's DID or handle.
        var account: String
        var email: String
    }

    /// `com.atproto.admin.updateAccountEmail` (admin Basic only): sets an account's email (lower-cased) and marks it
    /// unconfirmed; pending email tokens are dropped. Taken-down and deactivated accounts included.
    /// - Throws: 400 `InvalidRequest` "Account does not exist: …"; 400 `InvalidRequest` "Email already taken" when
    ///   another account has the address (the reference answers 500 there).
    func updateAccountEmail(_ request: Request) async throws {
        try auth.admin(request)
        let input = try await XRPCBody.decode(UpdateAccountEmailInput.self, from: request)
        guard let account = try await serviceDB.account(atIdentifier: input.account) else {
            throw XRPCError.invalidRequest("Account does not exist: \(input.account)")
        }
        try await serviceDB.updateEmail(did: account.did, email: input.email, token: nil)
    }
}
