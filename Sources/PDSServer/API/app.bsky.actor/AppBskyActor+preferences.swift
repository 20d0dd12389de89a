import ActorStore
import ATCore
import Hummingbird

extension AppBskyActor {
    /// Output of `app.bsky.actor.getPreferences`.
    struct GetPreferencesOutput: ResponseGenerator {
        var preferences: [JSONValue]

        func response(from request: Request, context: some RequestContext) throws -> Response {
            let body = JSONValue.object(["preferences": .array(preferences)]).serialized
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// `app.bsky.actor.getPreferences` (access tokens and app passwords, taken-down accounts too): the stored
    /// `app.bsky` preferences in the order they were written; an app password does not see the full-access-only
    /// ones (`personalDetailsPref`).
    func getPreferences(_ request: Request) async throws -> GetPreferencesOutput {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, allowTakendown: true,
            oauth: .appView("app.bsky.actor.getPreferences"))
        let fullAccess = caller.scope == .access
        let preferences = try await actorStore.read(caller.did) {
            try $0.pref.preferences(namespace: Self.namespace, fullAccess: fullAccess)
        }
        return GetPreferencesOutput(preferences: preferences)
    }

    /// `app.bsky.actor.putPreferences` (access tokens and app passwords; not for taken-down accounts): replaces every
    /// `app.bsky` preference the session may see with the body's, after validating them against their lexicons
    /// (known preference types must be well-formed; unknown ones pass, the union being open).
    func putPreferences(_ request: Request) async throws {
        let caller = try await auth.access(
            request, scopes: SessionTokens.Scope.standard, checkTakedown: true,
            oauth: .appView("app.bsky.actor.putPreferences"))
        let input = try await XRPCBody.lexValue(request)
        try XRPCBody.validate(input, input: "app.bsky.actor.putPreferences")
        guard case .array(let items)? = input["preferences"] else {
            throw XRPCError.invalidRequest("Input must have the property \"preferences\"")
        }
        let preferences = items.map(\.jsonValue)
        let fullAccess = caller.scope == .access
        try await actorStore.transact(caller.did) {
            try $0.pref.putPreferences(preferences, namespace: Self.namespace, fullAccess: fullAccess)
        }
    }
}
