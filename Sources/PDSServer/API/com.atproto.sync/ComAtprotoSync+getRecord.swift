import ATCore
import ActorStore
import Hummingbird

extension ComAtprotoSync {
    /// `com.atproto.sync.getRecord`: a CAR proving one record at the current commit (commit, MST path, record).
    /// - Throws: 400 `RecordNotFound` when the path is empty, besides the availability errors.
    func getRecord(_ request: Request) async throws -> Response {
        let parameters = XRPCParameters(request)
        let did = try didParameter(parameters)
        let collection = try parameters.parseRequired("collection") { try NSID($0) }
        let rkey = try parameters.parseRequired("rkey") { try RecordKey($0) }
        _ = try await availableAccount(did, request: request)
        _ = try await currentRoot(did)
        let proof = try await read(did) {
            try $0.repo.getRecordProof(collection: collection, rkey: rkey)
        }
        guard proof.record != nil else {
            throw XRPCError.invalidRequest(
                "Could not locate record: at://\(did)/\(collection)/\(rkey)", name: XRPCErrorName.recordNotFound)
        }
        return Self.carResponse(proof.car())
    }
}
