/// Errors from the per-actor store.
package enum ActorStoreError: Error, Equatable, Sendable {
    case actorNotFound(String)
    case actorAlreadyExists(String)
}
