/// Errors from DID and handle resolution.
package enum IdentityError: Error, Equatable, Sendable {
    case invalidDIDDocument(String)
}
