import ATCore
import ATCrypto
import ActorStore
import Hummingbird

extension ComAtprotoServer {
    /// Input of `com.atproto.server.reserveSigningKey`.
    struct ReserveSigningKeyInput: Decodable {
        var did: String?
    }

    /// Output of `com.atproto.server.reserveSigningKey`.
    struct ReserveSigningKeyOutput: ResponseEncodable {
        var signingKey: String
    }

    /// `com.atproto.server.reserveSigningKey` (no auth, as in the reference): a key kept in
    /// `actors/reserved_keys/` for a later createAccount with that DID.
    func reserveSigningKey(_ request: Request) async throws -> ReserveSigningKeyOutput {
        let input = try await XRPCBody.decode(ReserveSigningKeyInput.self, from: request)
        var did: DID?
        if let raw = input.did {
            guard let parsed = try? DID(raw) else { throw XRPCError.invalidRequest("Invalid DID: \(raw)") }
            did = parsed
        }
        let name = try await actorStore.reserveKeypair(for: did)
        guard let keypair = try await actorStore.reservedKeypair(name) else {
            throw XRPCError.internalServerError
        }
        return ReserveSigningKeyOutput(signingKey: keypair.did)
    }
}
