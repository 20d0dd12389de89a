import ATCore
import Hummingbird

extension ComAtprotoSync {
    /// `com.atproto.sync.getRepo`: the repo as CAR, whole or (with `since`) only the blocks of later commits.
    /// The CAR is streamed (``streamedCAR(_:since:)``).
    func getRepo(_ request: Request) async throws -> Response {
        let parameters = XRPCParameters(request)
        let did = try didParameter(parameters)
        let since = try parameters.parse("since") { try TID($0) }
        _ = try await availableAccount(did, request: request)
        _ = try await currentRoot(did)
        return streamedCAR(did, since: since)
    }

    /// `com.atproto.sync.getCheckout` (deprecated): the whole repo as CAR.
    func getCheckout(_ request: Request) async throws -> Response {
        let did = try didParameter(XRPCParameters(request))
        _ = try await availableAccount(did, request: request)
        _ = try await currentRoot(did)
        return streamedCAR(did, since: nil)
    }
}
