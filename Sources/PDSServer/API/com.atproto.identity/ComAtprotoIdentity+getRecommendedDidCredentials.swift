import ATCore
import Hummingbird
import Identity
import ServiceDB

extension ComAtprotoIdentity {
    /// Output of `com.atproto.identity.getRecommendedDidCredentials`: the fields a PLC operation needs for this PDS
    /// to serve the account.
    struct RecommendedCredentialsOutput: ResponseGenerator {
        var state: PLCState

        func response(from request: Request, context: some RequestContext) throws -> Response {
            let services = state.services.mapValues { service in
                JSONValue.object(["type": .string(service.type), "endpoint": .string(service.endpoint)])
            }
            let body = JSONValue.object([
                "alsoKnownAs": .array(state.alsoKnownAs.map { .string($0) }),
                "verificationMethods": .object(state.verificationMethods.mapValues { .string($0) }),
                "rotationKeys": .array(state.rotationKeys.map { .string($0) }),
                "services": .object(services),
            ])
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body.serialized)))
        }
    }

    /// `com.atproto.identity.getRecommendedDidCredentials` (access tokens and app passwords).
    func getRecommendedDidCredentials(_ request: Request) async throws -> RecommendedCredentialsOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, oauth: .allowed)
        let state = try await updater.recommendedCredentials(for: caller.did, handle: caller.account?.handle)
        return RecommendedCredentialsOutput(state: state)
    }
}
