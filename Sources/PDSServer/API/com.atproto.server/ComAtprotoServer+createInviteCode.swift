import ATCore
import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// Input of `com.atproto.server.createInviteCode`.
    struct CreateInviteCodeInput: Decodable {
        var useCount: Int
        var forAccount: String?
    }

    /// Output of `com.atproto.server.createInviteCode`.
    struct CreateInviteCodeOutput: ResponseEncodable {
        var code: String
    }

    /// `com.atproto.server.createInviteCode` (admin Basic auth).
    func createInviteCode(_ request: Request) async throws -> CreateInviteCodeOutput {
        try auth.admin(request)
        let input = try await XRPCBody.decode(CreateInviteCodeInput.self, from: request)
        guard input.useCount >= 1 else { throw XRPCError.invalidRequest("useCount must be at least 1") }
        let forAccount = try Self.inviteAccount(input.forAccount)
        let code = ServiceDB.generateInviteCode(hostname: service.hostname)
        try await serviceDB.createInviteCodes(
            [(code, forAccount)], useCount: input.useCount, createdBy: "admin")
        return CreateInviteCodeOutput(code: code)
    }

    /// `admin`, or a valid DID.
    static func inviteAccount(_ raw: String?) throws(XRPCError) -> String {
        guard let raw, raw != "admin" else { return "admin" }
        guard (try? DID(raw)) != nil else { throw .invalidRequest("forAccount must be a DID") }
        return raw
    }
}
