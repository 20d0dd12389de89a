import ATCore
import ATCrypto
import ActorStore
import Hummingbird
import Identity
import ServiceDB

extension ComAtprotoServer {
    /// Output of `com.atproto.server.checkAccountStatus`.
    struct CheckAccountStatusOutput: ResponseEncodable {
        var activated: Bool
        var validDid: Bool
        var repoCommit: String
        var repoRev: String
        var repoBlocks: Int
        var indexedRecords: Int
        var privateStateValues: Int
        var expectedBlobs: Int
        var importedBlobs: Int
    }

    /// `com.atproto.server.checkAccountStatus` (STD): repo counters and whether the DID document points here.
    func checkAccountStatus(_ request: Request) async throws -> CheckAccountStatusOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, oauth: .allowed)
        guard let account = caller.account else {
            throw XRPCError.invalidRequest("Account not found", name: XRPCErrorName.accountNotFound)
        }
        let did = caller.did
        let counts = try await actorStore.read(did) { reader in
            let root = try reader.repo.root()
            return (
                commit: root?.cid.description ?? "", rev: root?.rev.rawValue ?? "",
                blocks: try reader.repo.blockCount(), records: try reader.record.recordCount(),
                expected: try reader.blob.recordBlobCount(), imported: try reader.blob.blobCount()
            )
        }
        let validDid = await isDIDDocumentValid(did)
        return CheckAccountStatusOutput(
            activated: account.deactivatedAt == nil, validDid: validDid, repoCommit: counts.commit,
            repoRev: counts.rev, repoBlocks: counts.blocks, indexedRecords: counts.records, privateStateValues: 0,
            expectedBlobs: counts.expected, importedBlobs: counts.imported)
    }

    /// Whether the DID document names this PDS as the endpoint and the account's key as `#atproto`.
    func isDIDDocumentValid(_ did: DID) async -> Bool {
        guard let document = try? await didDocuments.document(did, forceRefresh: true),
            let keypair = try? await actorStore.keypair(did)
        else { return false }
        return document.pdsEndpoint == service.publicURL && document.signingKey?.did == keypair.did
    }
}
