import ATCore
import ActorStore
import Hummingbird
import ServiceDB

extension ComAtprotoSync {
    /// Output of `com.atproto.sync.getRepoStatus`.
    struct GetRepoStatusOutput: ResponseEncodable {
        var did: String
        var active: Bool
        var status: String?
        var rev: String?
    }

    /// `com.atproto.sync.getRepoStatus`: whether a hosted repo is active, its status otherwise, and its revision
    /// when active.
    /// - Throws: 400 `RepoNotFound` for an unknown DID.
    func getRepoStatus(_ request: Request) async throws -> GetRepoStatusOutput {
        let did = try didParameter(XRPCParameters(request))
        guard let account = try await serviceDB.account(did: did) else {
            throw XRPCError.invalidRequest("Could not find repo for DID: \(did)", name: XRPCErrorName.repoNotFound)
        }
        let status = account.status
        guard status == .active else {
            return GetRepoStatusOutput(did: did.rawValue, active: false, status: status.rawValue, rev: nil)
        }
        let root = try await read(did) { try $0.repo.root() }
        return GetRepoStatusOutput(did: did.rawValue, active: true, status: nil, rev: root?.rev.rawValue)
    }
}
