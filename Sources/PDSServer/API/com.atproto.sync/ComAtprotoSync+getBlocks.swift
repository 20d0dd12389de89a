import ATCore
import ActorStore
import Hummingbird

extension ComAtprotoSync {
    /// `com.atproto.sync.getBlocks`: the requested blocks as a CAR with no roots.
    /// - Throws: 400 `BlockNotFound` listing the CIDs the repo does not hold, besides the availability errors.
    func getBlocks(_ request: Request) async throws -> Response {
        let parameters = XRPCParameters(request)
        let did = try didParameter(parameters)
        var cids: [CID] = []
        for raw in parameters.strings("cids") {
            guard let cid = try? CID(raw) else { throw XRPCError.invalidRequest("Invalid CID: \(raw)") }
            cids.append(cid)
        }
        _ = try await availableAccount(did, request: request)
        let requested = cids
        let found = try await read(did) { reader in
            var blocks: [(cid: CID, bytes: [UInt8])] = []
            var missing: [CID] = []
            for cid in requested {
                if let bytes = try reader.repo.storage.getBytes(cid) {
                    blocks.append((cid, bytes))
                } else {
                    missing.append(cid)
                }
            }
            return (blocks: blocks, missing: missing)
        }
        guard found.missing.isEmpty else {
            let list = found.missing.map(\.description).joined(separator: ",")
            throw XRPCError.invalidRequest("Could not find cids: \(list)", name: XRPCErrorName.blockNotFound)
        }
        return Self.carResponse(CARWriter.serialize(roots: [], blocks: found.blocks))
    }
}
