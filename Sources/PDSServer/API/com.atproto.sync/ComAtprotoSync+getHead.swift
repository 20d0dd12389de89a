import ATCore
import ActorStore
import Hummingbird

extension ComAtprotoSync {
    /// Output of the deprecated `com.atproto.sync.getHead`.
    struct GetHeadOutput: ResponseEncodable {
        var root: String
    }

    /// `com.atproto.sync.getHead` (deprecated): the current commit CID.
    /// - Throws: 400 `HeadNotFound` when the repo has no commit, besides the availability errors.
    func getHead(_ request: Request) async throws -> GetHeadOutput {
        let did = try didParameter(XRPCParameters(request))
        _ = try await availableAccount(did, request: request)
        guard let root = try await read(did, { try $0.repo.root() }) else {
            throw XRPCError.invalidRequest("Could not find root for DID: \(did)", name: XRPCErrorName.headNotFound)
        }
        return GetHeadOutput(root: root.cid.description)
    }
}
