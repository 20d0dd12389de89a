import Hummingbird
import ServiceDB

extension ComAtprotoRepo {
    /// `com.atproto.repo.importRepo` (FULL, not for taken-down accounts): the body is a repository CAR of at most
    /// `PDS_MAX_REPO_IMPORT_SIZE` bytes that replaces the caller's repo (``RepoImporter``). Our rule besides the
    /// reference's: the account must be deactivated (as it is after `createAccount` with an existing DID), so a live
    /// repo the network follows is never replaced.
    func importRepo(_ request: Request) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, checkTakedown: true, oauth: .account(.repo, .manage))
        guard repoImport.accepting else { throw XRPCError.invalidRequest("Service is not accepting repo imports") }
        guard let account = caller.account else {
            throw XRPCError.invalidRequest("Account not found", name: XRPCErrorName.accountNotFound)
        }
        guard account.deactivatedAt != nil else {
            throw XRPCError.invalidRequest(
                "Cannot import over an active account's repo: deactivate the account first")
        }
        let car = try await XRPCBody.bytes(request, limit: repoImport.maxSize)
        _ = try await importer.importRepo(car, for: caller.did)
    }
}
