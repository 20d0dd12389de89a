import Foundation

extension OAuthProvider {
    /// The permission sets the `include:` scopes of `scope` name (checked at PAR, shown on the consent page).
    /// - Throws: ``OAuthError`` `invalid_scope` when one does not resolve, or when this server resolves none.
    package func permissionSets(scope: String) async throws -> [String: OAuthPermissionSet] {
        guard !OAuthPermissionSets.includes(in: scope).isEmpty else { return [:] }
        guard let lexicons else { throw OAuthError.invalidScope("Permission sets (include:) are not supported") }
        return try await lexicons.permissionSets(scope: scope)
    }

    /// The scope a token carries: the requested one with its `include:` scopes expanded into granular permissions.
    /// - Throws: ``OAuthError`` `invalid_request` (as the reference at the token endpoint) when a set does not
    ///   resolve.
    func tokenScope(_ scope: String) async throws -> String {
        guard !OAuthPermissionSets.includes(in: scope).isEmpty else { return scope }
        do {
            guard let lexicons else { throw OAuthError.invalidScope("Permission sets (include:) are not supported") }
            return try await lexicons.tokenScope(scope)
        } catch let error as OAuthError where error.code == "invalid_scope" {
            throw OAuthError.invalidRequest(error.description)
        }
    }
}
