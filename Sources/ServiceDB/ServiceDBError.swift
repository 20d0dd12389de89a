/// Errors from the service database (`account.sqlite`).
package enum ServiceDBError: Error, Equatable, Sendable {
    case invalidPasswordHash
}
