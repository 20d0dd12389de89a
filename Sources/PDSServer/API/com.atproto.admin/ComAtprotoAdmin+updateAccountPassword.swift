import ATCore
import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// Input of `com.atproto.admin.updateAccountPassword`.
    struct UpdateAccountPasswordInput: Decodable {
        var did: String
        var password: String
    }

    /// The longest password accepted (the reference's `NEW_PASSWORD_MAX_LENGTH`).
    static let maxPasswordLength = 256

    /// `com.atproto.admin.updateAccountPassword` (admin Basic only): sets an account's main password and, as the
    /// reference, revokes every session (refresh tokens) and drops a pending password-reset token. App passwords are
    /// kept. A DID without an account is no error, as in the reference.
    /// - Throws: 400 `InvalidRequest` "Invalid password length." past 256 characters.
    func updateAccountPassword(_ request: Request) async throws {
        try auth.admin(request)
        let input = try await XRPCBody.decode(UpdateAccountPasswordInput.self, from: request)
        guard let did = try? DID(input.did) else { throw XRPCError.invalidRequest("Input/did must be a valid did") }
        guard input.password.count <= Self.maxPasswordLength else {
            throw XRPCError.invalidRequest("Invalid password length.")
        }
        let password = input.password
        let passwordScrypt = try await Password.offloaded { try Password.hash(password) }
        try await serviceDB.updatePassword(did: did, passwordScrypt: passwordScrypt)
    }
}
