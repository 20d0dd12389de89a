import ATCore
import Hummingbird
import Identity
import ServiceDB

extension ComAtprotoIdentity {
    /// Output of `com.atproto.identity.resolveHandle`.
    struct ResolveHandleOutput: ResponseEncodable {
        var did: String
    }

    /// `com.atproto.identity.resolveHandle`: handles under the service domains come from the account database;
    /// others are resolved by DNS TXT and HTTPS well-known.
    func resolveHandle(_ request: Request) async throws -> ResolveHandleOutput {
        let handle = try XRPCParameters(request).parseRequired("handle") { try Handle($0) }
        let notFound = XRPCError.invalidRequest("Unable to resolve handle", name: XRPCErrorName.handleNotFound)
        let rules = HandleRules(serviceDomains: serviceHandleDomains)
        if rules.isServiceHandle(handle) {
            guard let account = try await serviceDB.account(handle: handle) else { throw notFound }
            return ResolveHandleOutput(did: account.did.rawValue)
        }
        guard let did = await handleResolver.resolve(handle) else { throw notFound }
        return ResolveHandleOutput(did: did.rawValue)
    }
}
