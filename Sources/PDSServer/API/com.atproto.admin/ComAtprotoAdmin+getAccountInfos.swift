import ATCore
import Hummingbird
import ServiceDB

extension ComAtprotoAdmin {
    /// Output of `com.atproto.admin.getAccountInfos`.
    struct GetAccountInfosOutput: ResponseEncodable, Decodable {
        var infos: [AccountView]
    }

    /// `com.atproto.admin.getAccountInfos` (moderator): the ``AccountView``s of the accounts among `dids` that exist,
    /// in the order asked (unknown DIDs are left out, as in the reference).
    func getAccountInfos(_ request: Request) async throws -> GetAccountInfosOutput {
        try await auth.moderator(request, lxm: "com.atproto.admin.getAccountInfos")
        let parameters = XRPCParameters(request)
        let raw = parameters.strings("dids")
        guard !raw.isEmpty else { throw XRPCError.invalidRequest("Error: Params must have the property \"dids\"") }
        let dids = try raw.map { value throws(XRPCError) in
            guard let did = try? DID(value) else { throw .invalidRequest("Error: dids must be valid: \(value)") }
            return did
        }
        return GetAccountInfosOutput(infos: try await accountViews(try await serviceDB.accounts(dids: dids)))
    }
}
