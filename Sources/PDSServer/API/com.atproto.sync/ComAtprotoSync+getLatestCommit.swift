import ATCore
import Hummingbird

extension ComAtprotoSync {
    /// Output of `com.atproto.sync.getLatestCommit`.
    struct GetLatestCommitOutput: ResponseEncodable {
        var cid: String
        var rev: String
    }

    /// `com.atproto.sync.getLatestCommit`: the current commit CID and revision of a repo.
    func getLatestCommit(_ request: Request) async throws -> GetLatestCommitOutput {
        let did = try didParameter(XRPCParameters(request))
        _ = try await availableAccount(did, request: request)
        let root = try await currentRoot(did)
        return GetLatestCommitOutput(cid: root.cid.description, rev: root.rev.rawValue)
    }
}
